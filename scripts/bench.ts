// `npm run bench`: starts its own stack and measures, in one run and in alternating rounds so
// that machine noise hits every scenario alike, a trivial route of the same Worker, license
// validation at the edge and delegated to Vault, validation per key type, and single against
// batch issuing. Writes bench/results.json and bench/results.md.
//
//   node scripts/bench.ts [--rounds 3] [--seconds 3] [--connections 10]
//
// autocannon runs in a child process (this file started with --runner), so that the load
// generator never shares an event loop with the Transit origin served by this process.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { VAULT_KEY_TYPES } from "../src/crypto/verify.ts";
import {
  adminKey,
  call,
  type DevWorker,
  field,
  groupCpu,
  HIGH_RATE_LIMITS,
  root,
  runWithStack,
  type Stack,
  sleep,
} from "./stack.ts";

const BATCH = 100;

interface RunnerSpec {
  url: string;
  method: "GET" | "POST";
  headers: Record<string, string>;
  body: string | undefined;
  connections: number;
  seconds: number;
  /** The status every answer must have. */
  expect: number;
}

interface RoundResult {
  requests: number;
  seconds: number;
  non2xx: number;
  errors: number;
  latencies: number[];
  /** CPU the load generator itself used, ms. */
  cpu_ms: number;
}

/** The part of autocannon's API used here; the package ships no types of its own. */
interface AutocannonInstance
  extends PromiseLike<{ duration: number; errors: number; timeouts: number }> {
  on(
    event: "response",
    listener: (client: unknown, status: number, bytes: number, ms: number) => void,
  ): void;
}
type Autocannon = (options: Record<string, unknown>) => AutocannonInstance;

/** Child mode: one autocannon round, every response time kept for exact percentiles. */
async function runner(spec: RunnerSpec): Promise<void> {
  const latencies: number[] = [];
  let non2xx = 0;
  const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;
  const instance = autocannon({
    url: spec.url,
    method: spec.method,
    headers: spec.headers,
    ...(spec.body === undefined ? {} : { body: spec.body }),
    connections: spec.connections,
    duration: spec.seconds,
    timeout: 10,
  });
  instance.on("response", (_client, statusCode, _bytes, responseTime) => {
    latencies.push(responseTime);
    if (statusCode !== spec.expect) {
      non2xx++;
    }
  });
  const cpuBefore = process.cpuUsage();
  const result = await instance;
  const cpu = process.cpuUsage(cpuBefore);
  const out: RoundResult = {
    cpu_ms: (cpu.user + cpu.system) / 1_000,
    requests: latencies.length,
    seconds: result.duration,
    non2xx,
    errors: result.errors + result.timeouts,
    latencies,
  };
  process.stdout.write(JSON.stringify(out));
}

function round(spec: RunnerSpec): Promise<RoundResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [new URL(import.meta.url).pathname, "--runner"], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), (spec.seconds + 30) * 1_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`autocannon round exited with ${code}`));
        return;
      }
      resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")) as RoundResult);
    });
    child.stdin.end(JSON.stringify(spec));
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) {
    return Number.NaN;
  }
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? Number.NaN;
}

interface Scenario {
  name: string;
  what: string;
  spec: RunnerSpec;
  /** Edge validation: the Transit origin must see no request while it runs. */
  edge: boolean;
  worker: DevWorker;
}

/**
 * Where the time goes, from the Worker's logs of one round: the app's own `duration_ms` per
 * request (inside the Worker; workerd's clock only advances on I/O, so pure CPU work reads
 * as 0), and wrangler's timing of the same request (app plus wrangler dev's proxy hop).
 */
function phases(logFile: string, from: number): { app: number[]; wrangler: number[] } {
  const text = readFileSync(logFile).subarray(from).toString("utf8");
  const app: number[] = [];
  const wrangler: number[] = [];
  for (const raw of text.split("\n")) {
    // Colour codes, should wrangler add them, start with ESC (code 27).
    const line = raw.replaceAll(`${String.fromCharCode(27)}[`, "").replace(/^[0-9;]*m/, "");
    const proxied = /\[wrangler:info\] \w+ \S+ \d+ [^(]*\((\d+)ms\)/.exec(line);
    if (proxied?.[1]) {
      wrangler.push(Number(proxied[1]));
    } else if (line.startsWith("{") && line.includes('"message":"request"')) {
      const duration = field(JSON.parse(line), "duration_ms");
      if (typeof duration === "number") {
        app.push(duration);
      }
    }
  }
  return { app, wrangler };
}

interface ScenarioResult {
  name: string;
  what: string;
  rounds: number;
  requests: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  non2xx: number;
  errors: number;
  ratio_to_baseline: number;
  transit_requests: number | null;
  /** CPU per request, µs: workerd, wrangler's Node proxy, this process (the Transit origin)
   * and the load generator, read from /proc and process.cpuUsage() around every round. */
  cpu_us_per_request: Record<string, number>;
  /** Median time inside the app and as wrangler dev timed it, from the Worker's logs. */
  app_p50_ms: number;
  wrangler_p50_ms: number;
}

interface IssueResult {
  name: string;
  rounds: number;
  licenses: number;
  ms_per_license: number;
  per_round_ms_per_license: number[];
}

function parseFlags(argv: string[]): { rounds: number; seconds: number; connections: number } {
  const flags = { rounds: 3, seconds: 3, connections: 10 };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i]?.replace(/^--/, "");
    const value = Number(argv[i + 1]);
    if ((name === "rounds" || name === "seconds" || name === "connections") && value > 0) {
      flags[name] = Math.min(Math.floor(value), name === "connections" ? 500 : 60);
    } else {
      throw new Error(`unknown or invalid flag ${argv[i] ?? ""} ${argv[i + 1] ?? ""}`);
    }
  }
  return flags;
}

/** The Worker as it would be uploaded, gzipped, from `wrangler deploy --dry-run`. */
function bundleSize(outdir: string): { bytes: number; gzip_bytes: number; files: string[] } {
  let bytes = 0;
  let gzipBytes = 0;
  const files: string[] = [];
  for (const name of readdirSync(outdir)) {
    const path = join(outdir, name);
    if (statSync(path).isFile() && /\.(m?js|wasm)$/.test(name)) {
      const content = readFileSync(path);
      bytes += content.length;
      gzipBytes += gzipSync(content, { level: 9 }).length;
      files.push(name);
    }
  }
  return { bytes, gzip_bytes: gzipBytes, files };
}

function machine(): Record<string, string | number> {
  const workerd = spawnSync(join(root, "node_modules/workerd/bin/workerd"), ["--version"], {
    encoding: "utf8",
  });
  const wrangler = JSON.parse(
    readFileSync(join(root, "node_modules/wrangler/package.json"), "utf8"),
  ) as { version: string };
  const cpuList = cpus();
  return {
    cpu: cpuList[0]?.model ?? "unknown",
    cores: cpuList.length,
    memory_gb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    workerd: workerd.stdout.trim() || "unknown",
    wrangler: wrangler.version,
    platform: `${process.platform} ${process.arch}`,
    // Other processes on the machine take CPU from every scenario; this says how much.
    load_average_1m_at_start: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    date: new Date().toISOString(),
  };
}

function issueBody(customer: string): Record<string, unknown> {
  return { customer, modules: ["core", "reports"], expires_at: "2030-12-31", metadata: { n: 1 } };
}

async function issueSingles(worker: DevWorker, key: string, tag: string): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < BATCH; i++) {
    const r = await call(`${worker.url}/license/issue`, {
      key,
      body: issueBody(`${tag}-${i}`),
    });
    if (r.status !== 201) {
      throw new Error(`single issue answered ${r.status}: ${JSON.stringify(r.body)}`);
    }
  }
  return (performance.now() - started) / BATCH;
}

async function issueBatch(worker: DevWorker, key: string, tag: string): Promise<number> {
  const licenses = Array.from({ length: BATCH }, (_, i) => issueBody(`${tag}-${i}`));
  const started = performance.now();
  const r = await call(`${worker.url}/license/batch/issue`, { key, body: { licenses } });
  const ms = performance.now() - started;
  const results = field(r.body, "results");
  const issued = Array.isArray(results)
    ? results.filter((item) => field(item, "license") !== undefined).length
    : 0;
  if (r.status !== 201 && r.status !== 200) {
    throw new Error(`batch issue answered ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`);
  }
  if (issued !== BATCH) {
    throw new Error(`batch issue signed ${issued} of ${BATCH}`);
  }
  return ms / BATCH;
}

async function expectValid(url: string, body: string, key: string | undefined): Promise<void> {
  const r = await call(`${url}/license/validate`, {
    body: JSON.parse(body),
    ...(key ? { key } : {}),
  });
  if (r.status !== 200 || field(r.body, "code") !== "VALID") {
    throw new Error(`validation at ${url} answered ${r.status}: ${JSON.stringify(r.body)}`);
  }
}

const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : "-");

function table(results: ScenarioResult[], issue: IssueResult[]): string {
  const lines = [
    "| scenario | req/s | p50 ms | p95 ms | p99 ms | × baseline | failed | Transit reqs " +
      "| app p50 ms | wrangler p50 ms |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of results) {
    lines.push(
      `| ${r.name} | ${fmt(r.rps, 0)} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${fmt(r.p99)} | ` +
        `${fmt(r.ratio_to_baseline, 2)} | ${r.non2xx + r.errors} | ` +
        `${r.transit_requests ?? "-"} | ` +
        `${fmt(r.app_p50_ms, 0)} | ${fmt(r.wrangler_p50_ms, 0)} |`,
    );
  }
  lines.push(
    "",
    "| CPU µs per request | workerd | wrangler (node) | Transit origin | autocannon |",
  );
  lines.push("| --- | ---: | ---: | ---: | ---: |");
  for (const r of results) {
    const c = r.cpu_us_per_request;
    lines.push(
      `| ${r.name} | ${c.workerd ?? "-"} | ${c["wrangler (node)"] ?? "-"} | ` +
        `${c["transit origin (bench process)"] ?? "-"} | ${c.autocannon ?? "-"} |`,
    );
  }
  lines.push("", "| issuing | licenses | ms per license | rounds (ms per license) |");
  lines.push("| --- | ---: | ---: | --- |");
  for (const r of issue) {
    const perRound = r.per_round_ms_per_license.map((v) => fmt(v, 2)).join(", ");
    lines.push(`| ${r.name} | ${r.licenses} | ${fmt(r.ms_per_license, 2)} | ${perRound} |`);
  }
  return lines.join("\n");
}

async function bench(stack: Stack): Promise<number> {
  const flags = parseFlags(process.argv.slice(2));
  const info = machine();
  stack.say(`machine: ${JSON.stringify(info)}`);
  const bundle = bundleSize(stack.build());
  stack.say(
    `bundle: ${bundle.bytes} bytes, ${bundle.gzip_bytes} gzip (${bundle.files.join(", ")})`,
  );

  const keys = [
    { name: "licensing", type: "ed25519" },
    ...VAULT_KEY_TYPES.map((type) => ({ name: `bench-${type}`, type })),
  ];
  const transit = await stack.transit(keys);
  stack.migrate();
  const admin = adminKey();
  const vars = {
    VAULT_ADDR: transit.url,
    VAULT_TOKEN: transit.token,
    ADMIN_API_KEY: admin,
    ...HIGH_RATE_LIMITS,
  };
  const edge = await stack.worker({ name: "edge", vars });

  const issued = await call(`${edge.url}/license/issue`, { key: admin, body: issueBody("b") });
  if (issued.status !== 201) {
    throw new Error(`issue answered ${issued.status}: ${JSON.stringify(issued.body)}`);
  }
  const defaultBody = JSON.stringify({ license: field(issued.body, "license") });

  const perType: { type: string; key: string; body: string }[] = [];
  for (const type of VAULT_KEY_TYPES) {
    const tenant = `bench-${type}`;
    const created = await call(`${edge.url}/tenants`, {
      key: admin,
      body: { tenant_id: tenant, name: tenant, transit_key: tenant, key_type: type },
    });
    if (created.status !== 201) {
      throw new Error(`tenant ${tenant}: ${created.status} ${JSON.stringify(created.body)}`);
    }
    const credential = await call(`${edge.url}/credentials`, {
      key: admin,
      body: { name: `${tenant}-admin`, role: "admin", tenant_id: tenant },
    });
    const secret = field(credential.body, "secret");
    if (typeof secret !== "string") {
      throw new Error(`credential for ${tenant}: ${JSON.stringify(credential.body)}`);
    }
    const license = await call(`${edge.url}/license/issue`, { key: secret, body: issueBody(type) });
    if (license.status !== 201) {
      throw new Error(`issue for ${tenant}: ${license.status} ${JSON.stringify(license.body)}`);
    }
    perType.push({
      type,
      key: secret,
      body: JSON.stringify({ license: field(license.body, "license") }),
    });
  }
  stack.say(`issued one license per key type (${VAULT_KEY_TYPES.join(", ")})`);

  // The delegated case runs the same bundle with only VERIFY_AT changed, on a copy of the same
  // local state (two workerd processes cannot share it), so both read the same licenses. The
  // copy is taken with the first Worker stopped, so that SQLite has written everything out.
  await edge.stop();
  const vaultState = `${stack.persistDir}-vault`;
  cpSync(stack.persistDir, vaultState, { recursive: true });
  await edge.start();
  const vault = await stack.worker({
    name: "vault",
    vars: { ...vars, VERIFY_AT: "vault" },
    persistDir: vaultState,
  });

  // Warm: every key imported, every license state read once, in both Workers.
  for (let i = 0; i < 3; i++) {
    await expectValid(edge.url, defaultBody, undefined);
    await expectValid(vault.url, defaultBody, undefined);
    for (const t of perType) {
      await expectValid(edge.url, t.body, t.key);
    }
  }

  const base = { connections: flags.connections, seconds: flags.seconds };
  const json = { "Content-Type": "application/json" };
  const post = (url: string, body: string, key?: string): RunnerSpec => ({
    ...base,
    url: `${url}/license/validate`,
    method: "POST",
    expect: 200,
    headers: key ? { ...json, Authorization: `Bearer ${key}` } : json,
    body,
  });
  const scenarios: Scenario[] = [
    {
      name: "baseline",
      what: "GET /__bench/baseline: a 404 through every middleware, no D1, no Vault, no limiter",
      spec: {
        ...base,
        url: `${edge.url}/__bench/baseline`,
        method: "GET",
        expect: 404,
        headers: {},
        body: undefined,
      },
      edge: false,
      worker: edge,
    },
    {
      name: "validate (edge)",
      what: "POST /license/validate, ed25519, no credential, VERIFY_AT=edge",
      spec: post(edge.url, defaultBody),
      edge: true,
      worker: edge,
    },
    {
      name: "validate (VERIFY_AT=vault)",
      what: "the same request to the Worker with VERIFY_AT=vault",
      spec: post(vault.url, defaultBody),
      edge: false,
      worker: vault,
    },
    ...perType.map((t) => ({
      name: `validate ${t.type}`,
      what: `POST /license/validate with the ${t.type} tenant's admin credential, VERIFY_AT=edge`,
      spec: post(edge.url, t.body, t.key),
      edge: true,
      worker: edge,
    })),
  ];

  const collected = new Map<
    string,
    {
      rounds: RoundResult[];
      transit: number;
      app: number[];
      wrangler: number[];
      cpu: Record<string, number>;
    }
  >();
  const singles: number[] = [];
  const batches: number[] = [];
  for (let r = 0; r < flags.rounds; r++) {
    for (const scenario of scenarios) {
      const before = transit.requests();
      const logStart = statSync(scenario.worker.logFile).size;
      const cpuStart = groupCpu(scenario.worker.group());
      const selfStart = process.cpuUsage();
      const result = await round(scenario.spec);
      const self = process.cpuUsage(selfStart);
      const cpuEnd = groupCpu(scenario.worker.group());
      const seen = transit.requests() - before;
      // The log is written asynchronously; give its last lines a moment.
      await sleep(300);
      const timing = phases(scenario.worker.logFile, logStart);
      const entry = collected.get(scenario.name) ?? {
        rounds: [],
        transit: 0,
        app: [],
        wrangler: [],
        cpu: {},
      };
      const add = (name: string, ms: number) => {
        entry.cpu[name] = (entry.cpu[name] ?? 0) + ms;
      };
      for (const [name, ms] of Object.entries(cpuEnd)) {
        add(name === "workerd" ? "workerd" : "wrangler (node)", ms - (cpuStart[name] ?? 0));
      }
      add("transit origin (bench process)", (self.user + self.system) / 1_000);
      add("autocannon", result.cpu_ms);
      entry.rounds.push(result);
      entry.transit += seen;
      entry.app.push(...timing.app);
      entry.wrangler.push(...timing.wrangler);
      collected.set(scenario.name, entry);
      const rps = result.requests / result.seconds;
      stack.say(`round ${r + 1}/${flags.rounds} ${scenario.name}: ${fmt(rps, 0)} req/s`);
    }
    singles.push(await issueSingles(edge, admin, `single-${r}`));
    batches.push(await issueBatch(edge, admin, `batch-${r}`));
    stack.say(
      `round ${r + 1}: issue ${fmt(singles.at(-1) ?? 0, 2)} ms/license single, ` +
        `${fmt(batches.at(-1) ?? 0, 2)} ms/license batch`,
    );
  }

  info.load_average_1m_at_end = Math.round((loadavg()[0] ?? 0) * 100) / 100;

  const results: ScenarioResult[] = [];
  for (const scenario of scenarios) {
    const entry = collected.get(scenario.name);
    if (!entry) {
      continue;
    }
    const latencies = entry.rounds.flatMap((r) => r.latencies).sort((a, b) => a - b);
    const seconds = entry.rounds.reduce((sum, r) => sum + r.seconds, 0);
    results.push({
      name: scenario.name,
      what: scenario.what,
      rounds: entry.rounds.length,
      requests: latencies.length,
      rps: latencies.length / seconds,
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
      non2xx: entry.rounds.reduce((sum, r) => sum + r.non2xx, 0),
      errors: entry.rounds.reduce((sum, r) => sum + r.errors, 0),
      ratio_to_baseline: 0,
      transit_requests: scenario.edge ? entry.transit : null,
      cpu_us_per_request: Object.fromEntries(
        Object.entries(entry.cpu).map(([name, ms]) => [
          name,
          Math.round((ms * 1_000) / Math.max(1, latencies.length)),
        ]),
      ),
      app_p50_ms: percentile(
        entry.app.sort((a, b) => a - b),
        50,
      ),
      wrangler_p50_ms: percentile(
        entry.wrangler.sort((a, b) => a - b),
        50,
      ),
    });
  }
  const baselineRps = results[0]?.rps ?? Number.NaN;
  for (const r of results) {
    r.ratio_to_baseline = r.rps / baselineRps;
  }
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const issue: IssueResult[] = [
    {
      name: `${BATCH} single issues, one after another`,
      rounds: singles.length,
      licenses: BATCH * singles.length,
      ms_per_license: mean(singles),
      per_round_ms_per_license: singles,
    },
    {
      name: `one batch issue of ${BATCH}`,
      rounds: batches.length,
      licenses: BATCH * batches.length,
      ms_per_license: mean(batches),
      per_round_ms_per_license: batches,
    },
  ];

  const byName = (name: string) => results.find((r) => r.name === name);
  const edgeRps = byName("validate (edge)")?.rps ?? Number.NaN;
  const vaultRps = byName("validate (VERIFY_AT=vault)")?.rps ?? Number.NaN;
  const edgeTransit = results.reduce((sum, r) => sum + (r.transit_requests ?? 0), 0);
  const failed = results.reduce((sum, r) => sum + r.non2xx + r.errors, 0);
  const targets = [
    {
      target: "edge validation ≥ 0.6 × baseline throughput",
      value: edgeRps / baselineRps,
      pass: edgeRps / baselineRps >= 0.6,
    },
    {
      target: "edge validation ≥ 10 × VERIFY_AT=vault throughput",
      value: edgeRps / vaultRps,
      pass: edgeRps / vaultRps >= 10,
    },
    {
      target: `batch of ${BATCH} ≥ 10 × faster per license than ${BATCH} singles`,
      value: mean(singles) / mean(batches),
      pass: mean(singles) / mean(batches) >= 10,
    },
    {
      target: "Transit requests during edge validation rounds = 0",
      value: edgeTransit,
      pass: edgeTransit === 0,
    },
    { target: "no failed request in any round", value: failed, pass: failed === 0 },
  ];

  // When every core is busy, throughput follows the CPU each request costs across all the
  // processes on the machine; these ratios say what the CPU accounting alone predicts.
  const cpuOf = (name: string) =>
    Object.values(byName(name)?.cpu_us_per_request ?? {}).reduce((a, b) => a + b, 0);
  const cpuModel = [
    `CPU per request, all processes: baseline ${cpuOf("baseline")} µs, edge validation ` +
      `${cpuOf("validate (edge)")} µs, VERIFY_AT=vault ${cpuOf("validate (VERIFY_AT=vault)")} µs`,
    `CPU-bound prediction: edge/baseline ${fmt(cpuOf("baseline") / cpuOf("validate (edge)"), 2)}` +
      `, edge/vault ${fmt(cpuOf("validate (VERIFY_AT=vault)") / cpuOf("validate (edge)"), 2)}`,
  ];

  const settings = {
    rounds: flags.rounds,
    seconds_per_round: flags.seconds,
    connections: flags.connections,
    batch: BATCH,
    baseline_route: "GET /__bench/baseline (404)",
  };
  const output = {
    machine: info,
    settings,
    bundle,
    scenarios: results,
    issue,
    targets,
    cpu_model: cpuModel,
  };
  mkdirSync(join(root, "bench"), { recursive: true });
  writeFileSync(join(root, "bench/results.json"), `${JSON.stringify(output, null, 2)}\n`);
  const tableText = table(results, issue);
  const targetLines = targets.map(
    (t) => `- ${t.pass ? "PASS" : "MISS"} ${t.target}: ${fmt(t.value, 2)}`,
  );
  const md = [
    "# Benchmark results",
    "",
    `${info.date}; ${info.cpu}, ${info.cores} cores, ${info.memory_gb} GB; Node ${info.node}; ` +
      `${info.workerd}; wrangler ${info.wrangler}; ${info.platform}; 1-minute load average ` +
      `${info.load_average_1m_at_start} at start, ${info.load_average_1m_at_end} at end.`,
    "",
    `${flags.rounds} alternating rounds of ${flags.seconds} s per scenario, ` +
      `${flags.connections} connections (autocannon), all against \`wrangler dev\` on loopback ` +
      "with the load generator, the Transit origin and both Workers on the same machine.",
    "Baseline: `GET /__bench/baseline`, a 404 that passes every middleware of the app " +
      "(request id, headers, config, CORS, body limits) and the error renderer, but touches " +
      "neither D1, the rate limiter nor Vault (`/health` calls Vault; `/openapi.json` " +
      "serialises a large document).",
    "",
    tableText,
    "",
    ...targetLines,
    "",
    ...cpuModel.map((line) => `- ${line}`),
    "",
    `Worker bundle (\`wrangler deploy --dry-run\`): ${fmt(bundle.bytes / 1024)} KiB, ` +
      `${fmt(bundle.gzip_bytes / 1024)} KiB gzip.`,
    "",
  ].join("\n");
  writeFileSync(join(root, "bench/results.md"), md);

  console.log(`\n${tableText}\n\n${targetLines.join("\n")}\n${cpuModel.join("\n")}`);
  console.log(`bundle: ${fmt(bundle.gzip_bytes / 1024)} KiB gzip; wrote bench/results.{json,md}`);
  return 0;
}

if (process.argv[2] === "--runner") {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
  }
  await runner(JSON.parse(Buffer.concat(chunks).toString("utf8")) as RunnerSpec);
} else {
  await runWithStack("bench", bench);
}
