// `npm run drill`: failure drills against a local stack it starts itself. Each prints what it
// did and PASS or FAIL; the exit code is 1 when any failed.
//   (a) Vault down while validating: answers stay right, even from a freshly started Worker.
//   (b) Vault slow or down while issuing: 503 VAULT_ERROR within the timeout with Retry-After,
//       nothing stored, and issuing resumes by itself when Vault is back.
//   (c) Vault sealed: /health says so, issuing refuses, validation goes on.
//   (d) The Worker killed and restarted mid-run while a client issues with Idempotency-Key and
//       retries: no accepted license lost, none duplicated.
import {
  adminKey,
  type CountingTransit,
  call,
  type DevWorker,
  field,
  HIGH_RATE_LIMITS,
  runWithStack,
  type Stack,
  sleep,
} from "./stack.ts";

const VAULT_TIMEOUT_MS = 1_000;
const run = Date.now().toString(36);

interface Context {
  stack: Stack;
  transit: CountingTransit;
  worker: DevWorker;
  admin: string;
}

class Drill {
  readonly problems: string[] = [];
  readonly name: string;

  constructor(name: string) {
    this.name = name;
    console.log(`\n=== drill ${name}`);
  }

  step(message: string): void {
    console.log(`  - ${message}`);
  }

  check(ok: boolean, message: string): void {
    console.log(`    ${ok ? "ok " : "BAD"} ${message}`);
    if (!ok) {
      this.problems.push(message);
    }
  }

  get passed(): boolean {
    return this.problems.length === 0;
  }
}

function licenseBody(customer: string): Record<string, unknown> {
  return { customer, modules: ["core"], expires_at: "2030-12-31", metadata: { seats: 5 } };
}

async function issue(ctx: Context, customer: string, headers: Record<string, string> = {}) {
  return call(
    `${ctx.worker.url}/license/issue`,
    { key: ctx.admin, body: licenseBody(customer), headers },
    10_000,
  );
}

async function validate(ctx: Context, license: unknown) {
  return call(`${ctx.worker.url}/license/validate`, { body: { license } }, 10_000);
}

/** Licenses stored for a customer, as the list route reports them; -1 when it cannot say. */
async function storedFor(ctx: Context, customer: string): Promise<unknown[] | undefined> {
  const query = new URLSearchParams({ customer, limit: "100" });
  const r = await call(`${ctx.worker.url}/license/list?${query}`, { key: ctx.admin }, 10_000);
  const licenses = field(r.body, "licenses");
  return r.status === 200 && Array.isArray(licenses) ? licenses : undefined;
}

function tampered(license: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(license)) as Record<string, unknown>;
  copy.metadata = { seats: 5_000 };
  return copy;
}

async function drillVaultDownValidation(ctx: Context): Promise<Drill> {
  const d = new Drill("a: Vault down during validation load");
  const issued = await issue(ctx, `drill-a-${run}`);
  d.check(issued.status === 201, `issued a license while Vault is up (${issued.status})`);
  const license = field(issued.body, "license");
  const forged = tampered(license);
  await validate(ctx, license);

  await ctx.transit.stop();
  d.step("stopped the Transit origin (connections refused from now on)");
  const clients = 8;
  const perClient = 30;
  let right = 0;
  let wrong = 0;
  const samples: string[] = [];
  const client = async (id: number) => {
    for (let i = 0; i < perClient; i++) {
      const genuine = (i + id) % 2 === 0;
      const r = await validate(ctx, genuine ? license : forged);
      const expected = genuine ? "VALID" : "INVALID_SIGNATURE";
      if (r.status === 200 && field(r.body, "code") === expected) {
        right++;
      } else {
        wrong++;
        if (samples.length < 3) {
          samples.push(`${expected} expected, got ${r.status} ${JSON.stringify(r.body)}`);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, id) => client(id)));
  d.step(`${clients} clients × ${perClient} validations, genuine and tampered alternating`);
  d.check(wrong === 0, `${right} right answers, ${wrong} wrong ${samples.join(" | ")}`);

  d.step("restarted the Worker while Vault is still down (fresh isolate, keys only in D1)");
  await ctx.worker.stop();
  await ctx.worker.start();
  const fresh = await validate(ctx, license);
  d.check(
    fresh.status === 200 && field(fresh.body, "code") === "VALID",
    `fresh Worker: genuine → ${fresh.status} ${String(field(fresh.body, "code"))}`,
  );
  const freshForged = await validate(ctx, forged);
  d.check(
    freshForged.status === 200 && field(freshForged.body, "code") === "INVALID_SIGNATURE",
    `fresh Worker: tampered → ${freshForged.status} ${String(field(freshForged.body, "code"))}`,
  );
  await ctx.transit.start();
  d.step("started the Transit origin again");
  return d;
}

async function expectVaultError(d: Drill, ctx: Context, customer: string, what: string) {
  const r = await issue(ctx, customer);
  const retryAfter = r.headers.get("Retry-After");
  d.check(
    r.status === 503 && field(r.body, "code") === "VAULT_ERROR",
    `${what}: issue → ${r.status} ${String(field(r.body, "code"))} in ${r.ms} ms`,
  );
  d.check(r.ms <= VAULT_TIMEOUT_MS + 1_500, `${what}: answered within the timeout and a margin`);
  d.check(retryAfter !== null, `${what}: Retry-After: ${retryAfter ?? "(missing)"}`);
}

async function drillVaultDownIssuing(ctx: Context): Promise<Drill> {
  const d = new Drill("b: Vault slow or down during issuing");
  const customer = `drill-b-${run}`;
  const before = await storedFor(ctx, customer);
  d.step(`VAULT_TIMEOUT_MS=${VAULT_TIMEOUT_MS}; stored for ${customer}: ${before?.length}`);

  ctx.transit.setLatency(VAULT_TIMEOUT_MS + 2_000);
  d.step(`Transit origin slowed to ${VAULT_TIMEOUT_MS + 2_000} ms per answer`);
  await expectVaultError(d, ctx, customer, "slow");
  await ctx.transit.stop();
  ctx.transit.setLatency(0);
  d.step("Transit origin stopped");
  await expectVaultError(d, ctx, customer, "down");
  // The slow sign request may still be answered after the Worker gave up on it.
  await sleep(2_500);
  const during = await storedFor(ctx, customer);
  d.check(during?.length === 0, `nothing stored for ${customer}: ${during?.length}`);

  await ctx.transit.start();
  d.step("Transit origin back, the Worker left running");
  const since = Date.now();
  let resumed = false;
  let last = "";
  for (let attempt = 0; attempt < 20 && Date.now() - since < 30_000; attempt++) {
    const r = await issue(ctx, customer);
    last = `${r.status} ${String(field(r.body, "code") ?? "")}`;
    if (r.status === 201) {
      resumed = true;
      break;
    }
    await sleep(500);
  }
  d.check(resumed, `issuing resumed after ${Date.now() - since} ms (last answer ${last})`);
  const after = await storedFor(ctx, customer);
  d.check(after?.length === 1, `exactly the resumed license is stored: ${after?.length}`);
  return d;
}

async function drillSealed(ctx: Context): Promise<Drill> {
  const d = new Drill("c: Vault sealed");
  const issued = await issue(ctx, `drill-c-ok-${run}`);
  const license = field(issued.body, "license");
  d.check(issued.status === 201, `issued a license before sealing (${issued.status})`);
  ctx.transit.setSealed(true);
  d.step("sealed the Transit origin");
  const health = await call(`${ctx.worker.url}/health`, {}, 10_000);
  d.check(
    health.status === 503 && field(health.body, "vault", "sealed") === true,
    `/health → ${health.status}, ` +
      `vault.sealed=${String(field(health.body, "vault", "sealed"))}, ` +
      `can_validate=${String(field(health.body, "can_validate"))}`,
  );
  const customer = `drill-c-${run}`;
  const refused = await issue(ctx, customer);
  d.check(
    refused.status === 503 && field(refused.body, "code") === "VAULT_ERROR",
    `issue → ${refused.status} ${String(field(refused.body, "code"))}`,
  );
  const stored = await storedFor(ctx, customer);
  d.check(stored?.length === 0, `nothing stored for ${customer}: ${stored?.length}`);
  const valid = await validate(ctx, license);
  d.check(
    valid.status === 200 && field(valid.body, "code") === "VALID",
    `validate → ${valid.status} ${String(field(valid.body, "code"))}`,
  );
  ctx.transit.setSealed(false);
  const healthy = await call(`${ctx.worker.url}/health`, {}, 10_000);
  d.check(healthy.status === 200, `unsealed: /health → ${healthy.status}`);
  return d;
}

async function drillRestart(ctx: Context): Promise<Drill> {
  const d = new Drill(
    "d: Worker killed and restarted mid-run, client retrying with Idempotency-Key",
  );
  const items = 40;
  const clients = 4;
  const accepted = new Map<number, { id: string; license: unknown; replayed: boolean }>();
  let next = 0;
  let attempts = 0;
  let failedAttempts = 0;
  let restarted = false;
  let conflicts = 0;
  let longestMs = 0;
  const unanswered: string[] = [];
  // A request cut off by the kill leaves its key claimed; the service treats such a claim as
  // abandoned after 60 s (409 until then), so the client must be willing to retry that long.
  const deadline = Date.now() + 150_000;

  const client = async () => {
    while (next < items && Date.now() < deadline) {
      const item = next++;
      const customer = `drill-d-${run}-${item}`;
      const headers = { "Idempotency-Key": `drill-d-${run}-${item}` };
      const since = Date.now();
      let last = "";
      // Bounded retries: the same key every time, so a retry can only replay, never add.
      for (let attempt = 0; attempt < 1_000 && Date.now() < deadline; attempt++) {
        attempts++;
        const r = await call(
          `${ctx.worker.url}/license/issue`,
          { key: ctx.admin, body: licenseBody(customer), headers },
          5_000,
        );
        const id = field(r.body, "license", "license_id");
        if (r.status === 201 && typeof id === "string") {
          const replayed = r.headers.get("Idempotent-Replayed") === "true";
          accepted.set(item, { id, license: field(r.body, "license"), replayed });
          longestMs = Math.max(longestMs, Date.now() - since);
          break;
        }
        failedAttempts++;
        last = `${r.status} ${String(field(r.body, "code") ?? field(r.body, "network_error"))}`;
        if (r.status === 409) {
          conflicts++;
        }
        if (r.status !== 0 && r.status < 500 && r.status !== 409 && r.status !== 429) {
          d.check(false, `item ${item}: ${r.status} ${JSON.stringify(r.body)} is not retryable`);
          break;
        }
        await sleep(250);
      }
      if (!accepted.has(item)) {
        unanswered.push(`item ${item}: last answer ${last}`);
      }
    }
  };
  const killer = async () => {
    // Kill once some licenses went through and more are in flight.
    for (let i = 0; i < 200 && accepted.size < 10; i++) {
      await sleep(50);
    }
    d.step(`SIGKILL to wrangler dev and workerd after ${accepted.size} accepted`);
    await ctx.worker.stop("SIGKILL");
    await ctx.worker.start();
    restarted = true;
    d.step(
      `wrangler dev restarted on the same port and --persist-to dir (${accepted.size} accepted)`,
    );
  };
  await Promise.all([killer(), ...Array.from({ length: clients }, () => client())]);
  d.check(restarted, "the Worker was restarted during the run");
  d.step(`${attempts} attempts, ${failedAttempts} failed and retried with the same key`);
  d.step(
    `${conflicts} answers were 409 (key still claimed); longest wait for a 201: ${longestMs} ms`,
  );
  d.check(
    accepted.size === items,
    `${accepted.size}/${items} items accepted with 201 ${unanswered.join("; ")}`,
  );
  const replays = [...accepted.values()].filter((a) => a.replayed).length;
  d.step(`${replays} accepted answers were idempotent replays of a request cut off by the kill`);

  let lost = 0;
  let duplicated = 0;
  let invalid = 0;
  for (const [item, answer] of accepted) {
    const stored = (await storedFor(ctx, `drill-d-${run}-${item}`)) ?? [];
    const ids = stored.map((entry) => field(entry, "license", "license_id"));
    if (!ids.includes(answer.id)) {
      lost++;
    }
    if (stored.length > 1) {
      duplicated++;
    }
    const v = await validate(ctx, answer.license);
    if (v.status !== 200 || field(v.body, "code") !== "VALID") {
      invalid++;
    }
  }
  // A license stored just before the kill whose answer never arrived is retried like any other
  // failure; the run above rarely hits that instant, so replay some keys on purpose too.
  let replayedRight = 0;
  const probes = [...accepted.entries()].slice(0, 5);
  for (const [item, answer] of probes) {
    const r = await call(
      `${ctx.worker.url}/license/issue`,
      {
        key: ctx.admin,
        body: licenseBody(`drill-d-${run}-${item}`),
        headers: { "Idempotency-Key": `drill-d-${run}-${item}` },
      },
      10_000,
    );
    const same = field(r.body, "license", "license_id") === answer.id;
    if (r.status === 201 && same && r.headers.get("Idempotent-Replayed") === "true") {
      replayedRight++;
    }
  }
  d.check(
    replayedRight === probes.length,
    `a retry after restart replays the stored answer: ${replayedRight}/${probes.length}`,
  );
  d.check(lost === 0, `accepted licenses missing from the list after restart: ${lost}`);
  d.check(duplicated === 0, `customers with more than one license: ${duplicated}`);
  d.check(invalid === 0, `accepted licenses not VALID after restart: ${invalid}`);
  return d;
}

async function drills(stack: Stack): Promise<number> {
  const transit = await stack.transit([{ name: "licensing", type: "ed25519" }]);
  stack.build();
  stack.migrate();
  const admin = adminKey();
  const worker = await stack.worker({
    name: "drill",
    vars: {
      VAULT_ADDR: transit.url,
      VAULT_TOKEN: transit.token,
      ADMIN_API_KEY: admin,
      VAULT_TIMEOUT_MS: String(VAULT_TIMEOUT_MS),
      ...HIGH_RATE_LIMITS,
    },
  });
  const ctx: Context = { stack, transit, worker, admin };
  const results: Drill[] = [];
  for (const drill of [
    drillVaultDownValidation,
    drillVaultDownIssuing,
    drillSealed,
    drillRestart,
  ]) {
    try {
      results.push(await drill(ctx));
    } catch (error) {
      const failed = new Drill(`${drill.name} (aborted)`);
      failed.check(false, error instanceof Error ? error.message : String(error));
      results.push(failed);
    } finally {
      // Whatever a drill left behind, the next one starts from a healthy Vault.
      transit.setSealed(false);
      transit.setLatency(0);
      await transit.start();
    }
    const last = results.at(-1);
    if (last) {
      console.log(`${last.passed ? "PASS" : "FAIL"} ${last.name}`);
    }
  }
  console.log("\nsummary:");
  for (const d of results) {
    console.log(
      `${d.passed ? "PASS" : "FAIL"} ${d.name}${d.passed ? "" : `: ${d.problems.join("; ")}`}`,
    );
  }
  return results.every((d) => d.passed) ? 0 : 1;
}

await runWithStack("drill", drills);
