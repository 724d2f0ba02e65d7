// `npm run load [-- --duration 30 --connections 100 --validations-per-issue=10]`: starts its own
// stack, then keeps that many clients busy for that long with a mix of issuing and validating,
// and fails (exit 1) when p95 exceeds 500 ms or any request failed (non-2xx or network).
// The rate limits are raised for the run so that the service is measured, not the limiter.
import {
  adminKey,
  call,
  field,
  HIGH_RATE_LIMITS,
  type JsonResponse,
  runWithStack,
  type Stack,
} from "./stack.ts";

const P95_LIMIT_MS = 500;
const PROGRESS_EVERY_MS = 5_000;
const REQUEST_TIMEOUT_MS = 10_000;

interface Flags {
  duration: number;
  connections: number;
  validationsPerIssue: number;
}

function parseFlags(argv: string[]): Flags {
  const flags: Flags = { duration: 30, connections: 100, validationsPerIssue: 10 };
  const limits: Record<keyof Flags, number> = {
    duration: 3_600,
    connections: 1_000,
    validationsPerIssue: 1_000,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const name = (argv[i] ?? "").replace(/^--/, "").replace(/-([a-z])/g, (_, c: string) => {
      return c.toUpperCase();
    });
    const value = Number(argv[i + 1]);
    if (!(name in flags) || !Number.isInteger(value) || value < 1) {
      throw new Error(`unknown or invalid flag ${argv[i] ?? ""} ${argv[i + 1] ?? ""}`);
    }
    const key = name as keyof Flags;
    flags[key] = Math.min(value, limits[key]);
  }
  return flags;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) {
    return 0;
  }
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? 0;
}

interface Tally {
  latencies: number[];
  ok: number;
  failed: number;
  /** A few failures, kept to say what went wrong. */
  samples: string[];
}

const newTally = (): Tally => ({ latencies: [], ok: 0, failed: 0, samples: [] });

function record(tally: Tally, response: JsonResponse, expected: number, what: string): void {
  tally.latencies.push(response.ms);
  if (response.status === expected) {
    tally.ok++;
    return;
  }
  tally.failed++;
  if (tally.samples.length < 5) {
    tally.samples.push(
      `${what} → ${response.status} ${JSON.stringify(response.body).slice(0, 200)}`,
    );
  }
}

function summary(name: string, tally: Tally, seconds: number): string {
  const sorted = [...tally.latencies].sort((a, b) => a - b);
  const rps = sorted.length / seconds;
  return (
    `${name.padEnd(9)} ${String(sorted.length).padStart(7)} req ` +
    `${rps.toFixed(0).padStart(6)} req/s ` +
    `p50 ${percentile(sorted, 50).toFixed(1)} ms  p95 ${percentile(sorted, 95).toFixed(1)} ms  ` +
    `p99 ${percentile(sorted, 99).toFixed(1)} ms  errors ${tally.failed}`
  );
}

async function load(stack: Stack): Promise<number> {
  const flags = parseFlags(process.argv.slice(2));
  const transit = await stack.transit([{ name: "licensing", type: "ed25519" }]);
  stack.build();
  stack.migrate();
  const admin = adminKey();
  const worker = await stack.worker({
    name: "load",
    vars: {
      VAULT_ADDR: transit.url,
      VAULT_TOKEN: transit.token,
      ADMIN_API_KEY: admin,
      ...HIGH_RATE_LIMITS,
    },
  });

  const body = (customer: string) => ({
    customer,
    modules: ["core", "reports"],
    expires_at: "2030-12-31",
    metadata: { seats: 10 },
  });
  const licenses: unknown[] = [];
  for (let i = 0; i < 20; i++) {
    const r = await call(`${worker.url}/license/issue`, { key: admin, body: body(`seed-${i}`) });
    if (r.status !== 201) {
      throw new Error(`seeding answered ${r.status}: ${JSON.stringify(r.body)}`);
    }
    licenses.push(field(r.body, "license"));
  }
  stack.say(
    `${flags.connections} clients for ${flags.duration} s, ` +
      `1 issue per ${flags.validationsPerIssue} validations, against ${worker.url}`,
  );

  const issue = newTally();
  const validate = newTally();
  const started = performance.now();
  const end = started + flags.duration * 1_000;
  let wrongAnswers = 0;
  let sent = 0;

  const client = async (id: number): Promise<void> => {
    // Bounded by time, and by count so that a broken clock cannot keep it going.
    for (let i = 0; i < 1_000_000 && performance.now() < end; i++) {
      sent++;
      if ((i + id) % (flags.validationsPerIssue + 1) === 0) {
        const r = await call(
          `${worker.url}/license/issue`,
          { key: admin, body: body(`load-${id}-${i}`) },
          REQUEST_TIMEOUT_MS,
        );
        record(issue, r, 201, "issue");
      } else {
        const license = licenses[(i * 7 + id) % licenses.length];
        const r = await call(
          `${worker.url}/license/validate`,
          { body: { license, module: "reports" } },
          REQUEST_TIMEOUT_MS,
        );
        record(validate, r, 200, "validate");
        if (r.status === 200 && field(r.body, "code") !== "VALID") {
          wrongAnswers++;
        }
      }
    }
  };

  let lastCount = 0;
  let lastAt = started;
  const progress = setInterval(() => {
    const now = performance.now();
    const all = [...issue.latencies, ...validate.latencies].sort((a, b) => a - b);
    const rate = ((all.length - lastCount) * 1_000) / (now - lastAt);
    lastCount = all.length;
    lastAt = now;
    stack.say(
      `${((now - started) / 1_000).toFixed(0).padStart(4)} s  ${all.length} done  ` +
        `${rate.toFixed(0)} req/s now  p95 ${percentile(all, 95).toFixed(1)} ms  ` +
        `errors ${issue.failed + validate.failed}`,
    );
  }, PROGRESS_EVERY_MS);
  try {
    await Promise.all(Array.from({ length: flags.connections }, (_, id) => client(id)));
  } finally {
    clearInterval(progress);
  }
  const seconds = (performance.now() - started) / 1_000;

  const total: Tally = {
    latencies: [...issue.latencies, ...validate.latencies],
    ok: issue.ok + validate.ok,
    failed: issue.failed + validate.failed,
    samples: [...issue.samples, ...validate.samples],
  };
  const p95 = percentile(
    [...total.latencies].sort((a, b) => a - b),
    95,
  );
  console.log("");
  console.log(summary("issue", issue, seconds));
  console.log(summary("validate", validate, seconds));
  console.log(summary("all", total, seconds));
  console.log(
    `sent ${sent} requests in ${seconds.toFixed(1)} s; validations not VALID: ${wrongAnswers}`,
  );
  for (const sample of total.samples) {
    console.log(`  failed: ${sample}`);
  }
  const failures: string[] = [];
  if (p95 > P95_LIMIT_MS) {
    failures.push(`p95 ${p95.toFixed(1)} ms > ${P95_LIMIT_MS} ms`);
  }
  if (total.failed > 0) {
    failures.push(`${total.failed} request(s) failed`);
  }
  if (wrongAnswers > 0) {
    failures.push(`${wrongAnswers} validation(s) answered other than VALID`);
  }
  console.log(failures.length === 0 ? "PASS" : `FAIL: ${failures.join("; ")}`);
  return failures.length === 0 ? 0 : 1;
}

await runWithStack("load", load);
