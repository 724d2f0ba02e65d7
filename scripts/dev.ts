// The local stack: a Vault Transit origin (a real `vault`/`bao` binary in dev mode when one is on
// PATH, otherwise the development origin in scripts/transit), the local D1 migrated, the signing
// key created, and the Worker under `wrangler dev`.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { provisionTransit } from "./provision-transit.ts";
import { startTransitServer } from "./transit/server.ts";

const root = new URL("..", import.meta.url).pathname;
const workerPort = Number(process.env.PORT ?? 8787);
const vaultPort = Number(process.env.DEV_VAULT_PORT ?? 8200);
const keyType = process.env.TRANSIT_KEY_TYPE ?? "ed25519";
const children: ChildProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];

function say(message: string): void {
  console.log(`[dev] ${message}`);
}

function readDevVars(): Record<string, string> {
  const file = `${root}.dev.vars`;
  if (!existsSync(file)) {
    copyFileSync(`${root}.dev.vars.example`, file);
    say("created .dev.vars from .dev.vars.example");
  }
  const vars: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*"?(.*?)"?\s*$/.exec(line);
    if (match?.[1] && match[2] !== undefined) {
      vars[match[1]] = match[2];
    }
  }
  return vars;
}

function vaultBinary(): string | undefined {
  for (const name of ["vault", "bao"]) {
    if (spawnSync("sh", ["-c", `command -v ${name}`]).status === 0) {
      return name;
    }
  }
  return undefined;
}

async function waitForHealth(addr: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const ok = await fetch(`${addr}/v1/sys/health`)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`Vault at ${addr} did not become healthy`);
}

async function startVault(token: string): Promise<string> {
  const addr = `http://127.0.0.1:${vaultPort}`;
  const binary = vaultBinary();
  if (binary) {
    say(`starting ${binary} in dev mode on ${addr}`);
    const child = spawn(
      binary,
      [
        "server",
        "-dev",
        `-dev-root-token-id=${token}`,
        `-dev-listen-address=127.0.0.1:${vaultPort}`,
      ],
      { stdio: ["ignore", "ignore", "inherit"], detached: true },
    );
    children.push(child);
  } else {
    say(`no vault or bao binary on PATH: starting the development Transit origin on ${addr}`);
    const server = await startTransitServer({
      host: "127.0.0.1",
      port: vaultPort,
      token,
      stateFile: `${root}.transit-dev/state.json`,
    });
    cleanups.push(() => server.close());
  }
  await waitForHealth(addr);
  return addr;
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit" });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed`);
  }
}

async function shutdown(code: number): Promise<never> {
  for (const child of children) {
    // Children run in their own process group, so that wrangler's workerd goes with them.
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // Already gone.
      }
    }
  }
  await Promise.allSettled(cleanups.map((cleanup) => cleanup()));
  process.exit(code);
}

async function main(): Promise<void> {
  const vars = readDevVars();
  const token = vars.VAULT_TOKEN ?? "dev-root-token";
  const keyName = process.env.TRANSIT_KEY ?? "licensing";

  const addr = await startVault(token);
  await provisionTransit({
    addr,
    token,
    mount: "transit",
    keys: [{ name: keyName, type: keyType }],
  });
  say(`transit key "${keyName}" (${keyType}) is ready`);

  run(`${root}node_modules/.bin/wrangler`, ["d1", "migrations", "apply", "DB", "--local"]);

  const wrangler = spawn(
    `${root}node_modules/.bin/wrangler`,
    [
      "dev",
      "--port",
      String(workerPort),
      "--var",
      `VAULT_ADDR:${addr}`,
      "--var",
      `TRANSIT_KEY:${keyName}`,
    ],
    { cwd: root, stdio: "inherit", detached: true },
  );
  children.push(wrangler);
  wrangler.on("exit", (code) => void shutdown(code ?? 0));

  say(`service:      http://127.0.0.1:${workerPort}`);
  say(`vault:        ${addr} (token ${token})`);
  say(`admin key:    ${vars.ADMIN_API_KEY ?? "(set ADMIN_API_KEY in .dev.vars)"}`);
  say(`try:          curl http://127.0.0.1:${workerPort}/health`);
}

process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));
main().catch(async (error: unknown) => {
  console.error(`[dev] ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
});
