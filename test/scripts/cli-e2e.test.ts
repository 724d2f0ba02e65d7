// The operator CLI end to end against a real local stack: a development Transit origin, a
// migrated local D1 and the built Worker under `wrangler dev`. The other CLI tests stub the
// service; this one shows that the CLI, the Worker and Transit agree on the wire, through a key
// rotation and a retirement.

import { randomUUID } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminKey, type DevWorker, HIGH_RATE_LIMITS, Stack } from "../../scripts/stack.ts";
import { type CliResult, runCli } from "./run-cli.ts";

// Building the bundle, migrating D1 and starting wrangler take well over the default timeout.
const START_TIMEOUT_MS = 180_000;
const STOP_TIMEOUT_MS = 60_000;

const customer = `cli-e2e-${randomUUID()}`;
const admin = adminKey();
let stack: Stack | undefined;
let worker: DevWorker | undefined;

beforeAll(async () => {
  const started = new Stack("cli-e2e");
  // Assigned before anything can fail, so afterAll stops whatever part of it did start.
  stack = started;
  const transit = await started.transit([{ name: "licensing", type: "ed25519" }]);
  started.build();
  started.migrate();
  worker = await started.worker({
    name: "cli-e2e",
    vars: {
      VAULT_ADDR: transit.url,
      VAULT_TOKEN: transit.token,
      ADMIN_API_KEY: admin,
      ...HIGH_RATE_LIMITS,
    },
  });
}, START_TIMEOUT_MS);

afterAll(async () => {
  await stack?.stop();
}, STOP_TIMEOUT_MS);

function workerUrl(): string {
  if (worker === undefined) {
    throw new Error("the stack did not start");
  }
  return worker.url;
}

function stackDir(): string {
  if (stack === undefined) {
    throw new Error("the stack did not start");
  }
  return stack.dir;
}

function cli(args: readonly string[]): Promise<CliResult> {
  return runCli(args, { env: { LICENSE_API_URL: workerUrl(), LICENSE_API_KEY: admin } });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The JSON on stdout, which must be an object; stderr is in the message to explain a miss. */
function output(result: CliResult): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(result.stdout);
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}): ${result.stdout}${result.stderr}`);
  }
  if (!isRecord(parsed)) {
    throw new Error(`stdout is not a JSON object: ${result.stdout}`);
  }
  return parsed;
}

/** Exit code and output together, so a failed expectation shows what the CLI printed. */
function outcome(result: CliResult): { code: number | null; out: Record<string, unknown> } {
  return { code: result.code, out: output(result) };
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (!isRecord(value)) {
    throw new Error(`${what} is not an object: ${JSON.stringify(value)}`);
  }
  return value;
}

function text(value: unknown, what: string): string {
  if (typeof value !== "string") {
    throw new Error(`${what} is not a string: ${JSON.stringify(value)}`);
  }
  return value;
}

interface Issued {
  /** A file holding issue's whole output, as an operator would save it. */
  file: string;
  licenseId: string;
  token: string;
  keyVersion: unknown;
}

async function issue(name: string): Promise<Issued> {
  const result = await cli([
    "issue",
    "--customer",
    customer,
    "--modules",
    "core,reports",
    "--expires-at",
    "2099-12-31",
  ]);
  const { code, out } = outcome(result);
  expect({ code, success: out.success }).toEqual({ code: 0, success: true });
  const license = record(out.license, "license");
  expect(license.customer).toBe(customer);
  const file = join(stackDir(), `${name}.json`);
  await writeFile(file, result.stdout);
  return {
    file,
    licenseId: text(license.license_id, "license_id"),
    token: text(out.license_token, "license_token"),
    keyVersion: license.key_version,
  };
}

function jwksUrl(): string {
  return `${workerUrl()}/.well-known/jwks.json`;
}

describe("the CLI against a running stack", () => {
  // Filled in by the issue cases, in order; the later cases depend on them.
  let first: Issued | undefined;
  let second: Issued | undefined;

  function issued(which: Issued | undefined): Issued {
    if (which === undefined) {
      throw new Error("an earlier issue case failed");
    }
    return which;
  }

  it("health reports ok", async () => {
    const { code, out } = outcome(await cli(["health"]));
    expect({ code, status: out.status }).toEqual({ code: 0, status: "ok" });
  });

  it("issue prints a license and its token", async () => {
    first = await issue("first");
    expect(first.keyVersion).toBe(1);
    expect(first.token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it("validate accepts the saved issue output and the token", async () => {
    const license = issued(first);
    for (const given of [`@${license.file}`, license.token]) {
      const { code, out } = outcome(await cli(["validate", "--license", given]));
      expect({ code, valid: out.valid, result: out.code }).toEqual({
        code: 0,
        valid: true,
        result: "VALID",
      });
    }
  });

  it("keys show describes version 1", async () => {
    const { code, out } = outcome(await cli(["keys", "show"]));
    expect(code).toBe(0);
    const key = record(out.key, "key");
    expect({ latest: key.latest_version, min: key.min_version }).toEqual({ latest: 1, min: 1 });
  });

  it("keys rotate makes version 2 the latest", async () => {
    const { code, out } = outcome(await cli(["keys", "rotate"]));
    expect(code).toBe(0);
    expect(record(out.key, "key").latest_version).toBe(2);
  });

  it("a license issued after the rotation is signed with version 2", async () => {
    second = await issue("second");
    expect(second.keyVersion).toBe(2);
  });

  it("the license signed with version 1 still validates", async () => {
    const { code, out } = outcome(await cli(["validate", "--license", `@${issued(first).file}`]));
    expect({ code, result: out.code }).toEqual({ code: 0, result: "VALID" });
  });

  it("verify-token checks both tokens offline against the published key set", async () => {
    for (const license of [issued(first), issued(second)]) {
      const args = ["verify-token", "--token", license.token, "--jwks", jwksUrl()];
      const { code, out } = outcome(await cli(args));
      expect({ code, valid: out.valid, result: out.code }).toEqual({
        code: 0,
        valid: true,
        result: "VALID",
      });
    }
  });

  // The second license is the one revoked: the first must stay active so that its later
  // KEY_VERSION_RETIRED comes from the retirement alone.
  it("a revoked license validates as REVOKED", async () => {
    const license = issued(second);
    const revoked = await cli(["revoke", "--license-id", license.licenseId, "--reason", "x"]);
    expect({ code: revoked.code, stderr: revoked.stderr }).toEqual({ code: 0, stderr: "" });
    const { code, out } = outcome(await cli(["validate", "--license", `@${license.file}`]));
    expect({ code, valid: out.valid, result: out.code }).toEqual({
      code: 1,
      valid: false,
      result: "REVOKED",
    });
  });

  it("list --customer shows both licenses", async () => {
    const { code, out } = outcome(await cli(["list", "--customer", customer]));
    expect(code).toBe(0);
    const licenses = out.licenses;
    if (!Array.isArray(licenses)) {
      throw new Error(`list printed no licenses array: ${JSON.stringify(out)}`);
    }
    // Each entry wraps the license with its current status.
    const statuses = Object.fromEntries(
      licenses.map((entry) => {
        const listed = record(entry, "listed license");
        return [record(listed.license, "license").license_id, listed.status];
      }),
    );
    expect(statuses).toEqual({
      [issued(first).licenseId]: "active",
      [issued(second).licenseId]: "revoked",
    });
  });

  it("keys set-min 2 retires the first license, online and offline", async () => {
    const setMin = outcome(await cli(["keys", "set-min", "--version", "2"]));
    expect(setMin.code).toBe(0);
    expect(record(setMin.out.key, "key").min_version).toBe(2);

    const license = issued(first);
    const { code, out } = outcome(await cli(["validate", "--license", `@${license.file}`]));
    expect({ code, valid: out.valid, result: out.code }).toEqual({
      code: 1,
      valid: false,
      result: "KEY_VERSION_RETIRED",
    });

    // The key set no longer publishes version 1, so the token has no key to verify against.
    const args = ["verify-token", "--token", license.token, "--jwks", jwksUrl()];
    const verified = outcome(await cli(args));
    expect({ code: verified.code, valid: verified.out.valid, result: verified.out.code }).toEqual({
      code: 1,
      valid: false,
      result: "INVALID_SIGNATURE",
    });
  });
});
