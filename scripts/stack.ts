// The local stack for the bench, load and drill scripts: a development Transit origin whose
// requests are counted and which can be stopped and started again on the same port, a migrated
// local D1 in a throwaway directory, and any number of `wrangler dev` Workers on free ports.
// Everything started here is stopped by `Stack.stop()`, which also runs on Ctrl-C and SIGTERM.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { createServer as createTcpServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { freePort } from "./lib/net.ts";
import { provisionTransit } from "./provision-transit.ts";
import { createHandler } from "./transit/dispatch.ts";
import { attachConnection } from "./transit/listmethod.ts";
import { Store } from "./transit/store.ts";
import type { ServerState } from "./transit/sys.ts";

export const root = new URL("..", import.meta.url).pathname;
export const wranglerBin = `${root}node_modules/.bin/wrangler`;
const LOOPBACK = "127.0.0.1";

/** The environment of children: the Node running this script comes first on PATH, so that
 * wrangler runs on the pinned Node 22 even when started outside `npm run`. */
export function childEnv(): NodeJS.ProcessEnv {
  const path = `${dirname(process.execPath)}:${process.env.PATH ?? ""}`;
  return { ...process.env, PATH: path, CI: "1", WRANGLER_SEND_METRICS: "false" };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface CountingTransit {
  url: string;
  port: number;
  token: string;
  /** Requests the origin has received since it was created, dev controls excluded. */
  requests(): number;
  setSealed(sealed: boolean): void;
  setLatency(ms: number): void;
  /** Stops listening and drops every connection, as if the process had died; keys are kept. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  running(): boolean;
}

/**
 * The development Transit origin of scripts/transit, served here rather than through
 * `startTransitServer` so that its handler can be wrapped with a request counter and the
 * listener can go away and come back on the same port with the same keys in memory.
 */
export async function startCountingTransit(port = 0): Promise<CountingTransit> {
  const token = `hvs.${randomBytes(18).toString("base64url")}`;
  const store = new Store("transit", undefined);
  const state: ServerState = {
    sealed: false,
    standby: false,
    latencyMs: 0,
    version: "1.20.0+transit.dev",
    clusterName: "vault-cluster-transit-dev",
    clusterId: randomUUID(),
  };
  let closing = new AbortController();
  let count = 0;
  let handle = createHandler({ state, store, token, closing: closing.signal });
  const http = createServer((req, res) => {
    if (!(req.url ?? "").startsWith("/__dev/")) {
      count++;
    }
    void handle(req, res);
  });
  const sockets = new Set<Socket>();
  let tcp: Server | undefined;
  let boundPort = port;

  const start = async (): Promise<void> => {
    if (tcp) {
      return;
    }
    closing = new AbortController();
    handle = createHandler({ state, store, token, closing: closing.signal });
    const server = createTcpServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      attachConnection(http, socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(boundPort, LOOPBACK, () => resolve());
    });
    const address = server.address();
    boundPort = typeof address === "object" && address ? address.port : boundPort;
    tcp = server;
  };
  const stop = async (): Promise<void> => {
    const server = tcp;
    if (!server) {
      return;
    }
    tcp = undefined;
    closing.abort();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    http.closeAllConnections();
    for (const socket of sockets) {
      socket.destroy();
    }
    await closed;
  };

  await start();
  return {
    url: `http://${LOOPBACK}:${boundPort}`,
    port: boundPort,
    token,
    requests: () => count,
    setSealed: (sealed) => {
      state.sealed = sealed;
    },
    setLatency: (ms) => {
      state.latencyMs = Math.max(0, ms);
    },
    stop,
    start,
    running: () => tcp !== undefined,
  };
}

export interface DevWorker {
  url: string;
  port: number;
  logFile: string;
  /** The process group of wrangler and its workerd, while running. */
  group(): number | undefined;
  stop(signal?: NodeJS.Signals): Promise<void>;
  start(): Promise<void>;
}

export interface WorkerOptions {
  name: string;
  vars: Record<string, string>;
  port?: number;
  /** Local state (D1, Durable Objects); the stack's own by default. Two running Workers must
   * not share one: workerd fails to start on a SQLite file another workerd holds. */
  persistDir?: string;
}

async function waitForWorker(url: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`wrangler dev exited with ${child.exitCode}; see ${logFile}`);
    }
    // Any answer from the app, a 404 included, means the Worker is up.
    const status = await fetch(`${url}/__ready`, { signal: AbortSignal.timeout(2_000) })
      .then((r) => r.status)
      .catch(() => 0);
    if (status === 404) {
      return;
    }
    await sleep(250);
  }
  throw new Error(`wrangler dev at ${url} did not answer within 90 s; see ${logFile}`);
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    try {
      // wrangler runs workerd as its own child; the group takes both.
      process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  }
}

async function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return true;
  }
  return Promise.race([
    new Promise<boolean>((resolve) => child.once("exit", () => resolve(true))),
    sleep(ms).then(() => false),
  ]);
}

/**
 * CPU time (ms, user + system) used so far by each kind of process in a process group, read
 * from /proc: how a request's cost splits between workerd and wrangler's Node process.
 */
export function groupCpu(group: number | undefined): Record<string, number> {
  const totals: Record<string, number> = {};
  if (group === undefined) {
    return totals;
  }
  let entries: string[] = [];
  try {
    entries = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return totals;
  }
  for (const pid of entries) {
    let stat = "";
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue;
    }
    const open = stat.indexOf("(");
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(open + 1, close);
    // Fields after the command: state, ppid, pgrp, ..., utime (12th), stime (13th).
    const rest = stat.slice(close + 2).split(" ");
    if (Number(rest[2]) !== group) {
      continue;
    }
    // Clock ticks are 1/100 s on Linux.
    const ms = (Number(rest[11]) + Number(rest[12])) * 10;
    totals[comm] = (totals[comm] ?? 0) + ms;
  }
  return totals;
}

export class Stack {
  readonly dir: string;
  readonly persistDir: string;
  private readonly children = new Set<ChildProcess>();
  private readonly cleanups: (() => Promise<void>)[] = [];
  private stopping: Promise<void> | undefined;
  private entry: string | undefined;
  readonly tag: string;

  constructor(tag: string) {
    this.tag = tag;
    this.dir = mkdtempSync(join(tmpdir(), `ela-${tag}-`));
    this.persistDir = join(this.dir, "state");
    const onSignal = (signal: NodeJS.Signals) => {
      this.say(`${signal}: stopping the stack`);
      void this.stop().then(() => process.exit(130));
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  }

  say(message: string): void {
    console.log(`[${this.tag}] ${message}`);
  }

  async transit(keys: { name: string; type: string }[]): Promise<CountingTransit> {
    const transit = await startCountingTransit();
    this.cleanups.push(() => transit.stop());
    await provisionTransit({ addr: transit.url, token: transit.token, mount: "transit", keys });
    this.say(`transit origin on ${transit.url} with ${keys.length} key(s)`);
    return transit;
  }

  migrate(): void {
    const result = spawnSync(
      wranglerBin,
      ["d1", "migrations", "apply", "DB", "--local", "--persist-to", this.persistDir],
      { cwd: root, encoding: "utf8", env: childEnv() },
    );
    if (result.status !== 0) {
      throw new Error(`D1 migrations failed: ${result.stderr}${result.stdout}`);
    }
    this.say(`D1 migrated in ${this.persistDir}`);
  }

  /**
   * Builds the Worker once (`wrangler deploy --dry-run`) into `<dir>/bundle`; Workers started
   * afterwards run that bundle. Others may edit src/ during a run, and `wrangler dev` on the
   * sources would rebuild and restart on every save; a built bundle stays as it was.
   */
  build(): string {
    const outdir = join(this.dir, "bundle");
    const result = spawnSync(wranglerBin, ["deploy", "--dry-run", "--outdir", outdir], {
      cwd: root,
      encoding: "utf8",
      env: childEnv(),
    });
    if (result.status !== 0) {
      throw new Error(`wrangler deploy --dry-run failed: ${result.stderr}${result.stdout}`);
    }
    this.entry = join(outdir, "index.js");
    this.say(`built the Worker into ${outdir}`);
    return outdir;
  }

  async worker(options: WorkerOptions): Promise<DevWorker> {
    const port = options.port ?? (await freePort());
    const url = `http://${LOOPBACK}:${port}`;
    const logFile = join(this.dir, `wrangler-${options.name}.log`);
    let child: ChildProcess | undefined;

    const start = async (): Promise<void> => {
      const inspector = await freePort();
      const args = ["dev", ...(this.entry ? [this.entry, "--no-bundle"] : [])];
      // With an entry point of its own, wrangler would look for its config next to it.
      args.push("--config", join(root, "wrangler.toml"));
      args.push(
        "--ip",
        LOOPBACK,
        "--port",
        String(port),
        "--inspector-port",
        String(inspector),
        "--persist-to",
        options.persistDir ?? this.persistDir,
        "--show-interactive-dev-session=false",
      );
      for (const [key, value] of Object.entries(options.vars)) {
        args.push("--var", `${key}:${value}`);
      }
      const log = openSync(logFile, "a");
      const spawned = spawn(wranglerBin, args, {
        cwd: root,
        stdio: ["ignore", log, log],
        detached: true,
        env: childEnv(),
      });
      child = spawned;
      this.children.add(spawned);
      spawned.once("exit", () => this.children.delete(spawned));
      await waitForWorker(url, spawned, logFile);
    };
    const stop = async (signal: NodeJS.Signals = "SIGTERM"): Promise<void> => {
      const current = child;
      if (!current) {
        return;
      }
      child = undefined;
      killGroup(current, signal);
      if (!(await waitForExit(current, 10_000))) {
        killGroup(current, "SIGKILL");
        await waitForExit(current, 5_000);
      }
    };

    await start();
    this.say(`worker "${options.name}" on ${url} (log ${logFile})`);
    return { url, port, logFile, start, stop, group: () => child?.pid };
  }

  /** Stops every child and server; safe to call more than once. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const children = [...this.children];
      for (const child of children) {
        killGroup(child, "SIGTERM");
      }
      await Promise.all(children.map((child) => waitForExit(child, 10_000)));
      for (const child of children) {
        killGroup(child, "SIGKILL");
      }
      await Promise.allSettled(this.cleanups.map((cleanup) => cleanup()));
      if (process.env.KEEP_STACK_DIR !== "1") {
        rmSync(this.dir, { recursive: true, force: true });
      }
    })();
    return this.stopping;
  }
}

export const adminKey = (): string => `bench-admin-${randomBytes(24).toString("hex")}`;

/** Runs `main` with the stack, stopping it whatever happens, and exits with main's code. */
export async function runWithStack(tag: string, main: (stack: Stack) => Promise<number>) {
  const stack = new Stack(tag);
  let code = 1;
  try {
    code = await main(stack);
  } catch (error) {
    console.error(`[${tag}] ${error instanceof Error ? (error.stack ?? error.message) : error}`);
    code = 1;
  } finally {
    await stack.stop();
  }
  process.exit(code);
}

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: unknown;
  ms: number;
}

/** One JSON request with a time limit; a network failure answers status 0. */
export async function call(
  url: string,
  init: { method?: string; key?: string; body?: unknown; headers?: Record<string, string> },
  timeoutMs = 30_000,
): Promise<JsonResponse> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.key) {
    headers.Authorization = `Bearer ${init.key}`;
  }
  if (init.body !== undefined) {
    headers["Content-Type"] = "application/json";
  }
  const started = performance.now();
  try {
    const response = await fetch(url, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers,
      body: init.body === undefined ? null : JSON.stringify(init.body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON: keep the text for the report.
    }
    return { status: response.status, headers: response.headers, body, ms: elapsed(started) };
  } catch (error) {
    const body = { network_error: error instanceof Error ? error.message : String(error) };
    return { status: 0, headers: new Headers(), body, ms: elapsed(started) };
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}

export function field(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== "object" || current === null) {
      return undefined;
    }
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Settings that keep the limiter out of the measurement: it is exercised, never the limit. */
export const HIGH_RATE_LIMITS: Record<string, string> = {
  RATE_LIMIT_VALIDATE: "100000000",
  RATE_LIMIT_ISSUE: "100000000",
  RATE_LIMIT_READ: "100000000",
  RATE_LIMIT_CREDENTIALS: "100000000",
};
