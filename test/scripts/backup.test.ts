// Backup and restore end to end: licenses issued and revoked through the Worker, exported by
// scripts/backup.ts, restored by scripts/restore.ts into an empty database, and served again by
// a Worker on that database with the same states and valid signatures.

import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unstable_startWorker } from "wrangler";
import { countLicenseInserts, splitStatements } from "../../scripts/backup.ts";
import { type RunResult, runProcess } from "../../scripts/lib/run.ts";
import { provisionTransit } from "../../scripts/provision-transit.ts";
import { startTransitServer, type TransitServer } from "../../scripts/transit/server.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");
const TOKEN = "backup-test-root-token";
const ADMIN_API_KEY = "backup-test-admin-key-0123456789abcdef";
const TRANSIT_KEY = "licensing-backup-test";
// Starting workerd and running wrangler several times is slow on a cold machine.
const TIMEOUT = 240_000;

type Worker = Awaited<ReturnType<typeof unstable_startWorker>>;

function run(command: string, args: readonly string[]): Promise<RunResult> {
  return runProcess(command, args, {
    cwd: ROOT,
    env: { NO_COLOR: "1", WRANGLER_SEND_METRICS: "false" },
  });
}

/** Runs a script of this project with the Node running the tests (the pinned one under npm). */
function runScript(script: string, args: readonly string[]): Promise<RunResult> {
  return run(process.execPath, [join(ROOT, "scripts", script), ...args]);
}

let transit: TransitServer;
let base = "";
const workers: Worker[] = [];

async function startWorker(persist: string): Promise<{ worker: Worker; url: string }> {
  const plain = (value: string) => ({ type: "plain_text" as const, value });
  const worker = await unstable_startWorker({
    config: join(ROOT, "wrangler.toml"),
    bindings: {
      VAULT_ADDR: plain(transit.url),
      VAULT_TOKEN: plain(TOKEN),
      ADMIN_API_KEY: plain(ADMIN_API_KEY),
      TRANSIT_KEY: plain(TRANSIT_KEY),
    },
    dev: {
      persist,
      server: { hostname: "127.0.0.1", port: 0 },
      inspector: false,
      watch: false,
      logLevel: "warn",
    },
  });
  workers.push(worker);
  await worker.ready;
  const url = (await worker.url).toString().replace(/\/$/, "");
  return { worker, url };
}

async function stopWorker(worker: Worker): Promise<void> {
  workers.splice(workers.indexOf(worker), 1);
  await worker.dispose();
}

async function call(url: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: {
      Authorization: `Bearer ${ADMIN_API_KEY}`,
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json: unknown = await response.json();
  if (!response.ok || typeof json !== "object" || json === null) {
    throw new Error(`${path} answered ${response.status}: ${JSON.stringify(json)}`);
  }
  return json as Record<string, unknown>;
}

interface Issued {
  id: string;
  license: Record<string, unknown>;
  token: string;
}

interface ListEntry {
  license: { license_id: string };
  status: string;
  revocation_reason: string | null;
}

/** Every license the service lists, with its state, newest first. */
async function listAll(url: string): Promise<ListEntry[]> {
  const page = await call(url, "/license/list?limit=100");
  expect(page.has_more).toBe(false);
  return page.licenses as ListEntry[];
}

async function validationCode(url: string, body: unknown): Promise<string> {
  const result = await call(url, "/license/validate", body);
  return String(result.code);
}

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), "backup-test-"));
  transit = await startTransitServer({ host: "127.0.0.1", port: 0, token: TOKEN });
  await provisionTransit({
    addr: transit.url,
    token: TOKEN,
    mount: "transit",
    keys: [{ name: TRANSIT_KEY, type: "ed25519" }],
  });
}, TIMEOUT);

afterAll(async () => {
  await Promise.allSettled(workers.map((worker) => worker.dispose()));
  await transit?.close();
  await rm(base, { recursive: true, force: true });
}, TIMEOUT);

describe("SQL dump parsing", () => {
  it("counts license rows whatever their documents contain", () => {
    const sql = [
      "PRAGMA defer_foreign_keys=TRUE;",
      'CREATE TABLE licenses (license_id TEXT PRIMARY KEY, "document" TEXT);',
      // A document with a quote, a semicolon and a line break that starts a fake INSERT.
      `INSERT INTO "licenses" VALUES('a','{"x":"it''s; a\nINSERT INTO licenses VALUES(1);"}');`,
      "INSERT INTO licenses VALUES('b', '-- not a comment; really');",
      "-- INSERT INTO licenses VALUES('commented out');",
      "INSERT INTO \"license_events\" VALUES(1,'a');",
    ].join("\n");
    expect(countLicenseInserts(sql)).toBe(2);
    expect(splitStatements(sql)).toHaveLength(5);
    expect(countLicenseInserts("-- a note\nINSERT INTO licenses VALUES('c');")).toBe(1);
  });
});

describe("npm run backup / restore", () => {
  it(
    "brings back every license with its state, and restored licenses validate",
    async () => {
      const dirA = join(base, "a");
      const dirB = join(base, "b");
      const dirC = join(base, "c");
      const migrated = await run(WRANGLER, [
        "d1",
        "migrations",
        "apply",
        "DB",
        "--local",
        "--persist-to",
        dirA,
      ]);
      expect(migrated.code, migrated.stderr).toBe(0);

      // Issue and revoke through the Worker, as in production.
      const first = await startWorker(dirA);
      const issued: Issued[] = [];
      for (const customer of ["acme", "globex", "initech"]) {
        const result = await call(first.url, "/license/issue", {
          customer,
          modules: ["core", "reports"],
          expires_at: "2099-12-31",
        });
        const license = result.license as Record<string, unknown>;
        issued.push({
          id: String(license.license_id),
          license,
          token: String(result.license_token),
        });
      }
      const revoked = issued[1];
      if (revoked === undefined) {
        throw new Error("nothing issued");
      }
      await call(first.url, "/license/revoke", { license_id: revoked.id, reason: "chargeback" });
      const before = await listAll(first.url);
      expect(before).toHaveLength(3);
      const statuses = Object.fromEntries(
        before.map((entry) => [entry.license.license_id, entry.status]),
      );
      expect(statuses).toEqual({
        [String(issued[0]?.id)]: "active",
        [revoked.id]: "revoked",
        [String(issued[2]?.id)]: "active",
      });
      await stopWorker(first.worker);

      const backup = await runScript("backup.ts", [
        "--local",
        "--persist-to",
        dirA,
        "--output",
        dirB,
      ]);
      expect(backup.code, backup.stderr).toBe(0);
      const [file] = await readdir(dirB);
      expect(file).toMatch(/^edge-license-authority-\d{8}-\d{6}\.sql$/);
      const path = join(dirB, String(file));
      expect(backup.stdout).toContain(path);
      expect(backup.stdout).toMatch(/size: +\d/);
      expect(backup.stdout).toMatch(/licenses: 3\n/);
      expect(countLicenseInserts(await readFile(path, "utf8"))).toBe(3);

      await mkdir(dirC);
      const restored = await runScript("restore.ts", ["--file", path, "--persist-to", dirC]);
      expect(restored.code, restored.stderr).toBe(0);
      expect(restored.stdout).toMatch(/licenses: 3\n/);

      // A second restore into the now populated database is refused without --force.
      const again = await runScript("restore.ts", ["--file", path, "--persist-to", dirC]);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/already holds 3 licenses.*--force/);
      const forced = await runScript("restore.ts", [
        "--file",
        path,
        "--persist-to",
        dirC,
        "--force",
      ]);
      expect(forced.code, forced.stderr).toBe(0);

      const second = await startWorker(dirC);
      // The same licenses, documents and states, field for field.
      expect(await listAll(second.url)).toEqual(before);
      for (const { id, license, token } of issued) {
        const expected = id === revoked.id ? "REVOKED" : "VALID";
        expect(await validationCode(second.url, { license })).toBe(expected);
        expect(await validationCode(second.url, { license_token: token })).toBe(expected);
      }
      await stopWorker(second.worker);
    },
    TIMEOUT,
  );

  it("refuses a remote restore without explicit confirmation", async () => {
    const result = await runScript("restore.ts", ["--file", "missing.sql", "--remote"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--yes-i-am-sure/);
  });

  it("exits non-zero with a clear message when there is no database to export", async () => {
    const missing = join(base, "no-such-state");
    const result = await runScript("backup.ts", ["--persist-to", missing, "--output", base]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: .*does not exist/);
  });
});
