import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { clearKeyringCache } from "../../src/keys/keyring.ts";
import {
  call,
  daysFromNow,
  devControl,
  expectError,
  expectStatus,
  failureVault,
  issue,
  validate,
} from "../helpers.ts";

const unreachable: Partial<Env> = { VAULT_ADDR: "http://127.0.0.1:9" };

async function licenseCount(): Promise<number> {
  const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM licenses").first<{ n: number }>();
  return row?.n ?? -1;
}

describe("with Vault unreachable", () => {
  it("still validates, from the public keys stored in D1, in a fresh isolate", async () => {
    const license = await issue();
    clearKeyringCache();

    const response = await validate(license, undefined, { env: unreachable });
    expectStatus(response, 200);
    expect(response.body).toMatchObject({ valid: true, code: "VALID" });

    const tampered = await validate({ ...license, customer: "x" }, undefined, { env: unreachable });
    expect(tampered.body).toMatchObject({ valid: false, code: "INVALID_SIGNATURE" });
  });

  it("refuses to issue with 503 VAULT_ERROR and Retry-After, storing nothing", async () => {
    const before = await licenseCount();
    const response = await call("POST", "/license/issue", {
      body: { customer: "acme", modules: ["core"], expires_at: daysFromNow(10) },
      env: unreachable,
    });
    expectError(response, 503, "VAULT_ERROR");
    expect(Number(response.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(await licenseCount()).toBe(before);
  });

  it("refuses to renew and to batch issue, changing nothing", async () => {
    const license = await issue();
    const before = await licenseCount();
    const renew = await call("POST", "/license/renew", {
      body: { license_id: license.license_id, new_expires_at: daysFromNow(90) },
      env: unreachable,
    });
    expectError(renew, 503, "VAULT_ERROR");
    const batch = await call("POST", "/license/batch/issue", {
      body: { licenses: [{ customer: "a", modules: [], expires_at: daysFromNow(5) }] },
      env: unreachable,
    });
    expectError(batch, 503, "VAULT_ERROR");
    expect(await licenseCount()).toBe(before);
    expect((await validate(license)).body).toMatchObject({ code: "VALID" });
  });

  it("reports 503 on /health while validation goes on", async () => {
    const response = await call("GET", "/health", { key: null, env: unreachable });
    expectStatus(response, 503);
    expect(response.body).toMatchObject({
      status: "degraded",
      can_issue: false,
      can_validate: true,
      vault: { reachable: false, error: "unreachable" },
    });
  });
});

describe("with Vault sealed", () => {
  it("answers issue with VAULT_ERROR and health with the sealed state", async () => {
    await devControl("seal");
    try {
      const issueResponse = await call("POST", "/license/issue", {
        body: { customer: "acme", modules: ["core"], expires_at: daysFromNow(10) },
        env: failureVault(),
      });
      expectError(issueResponse, 503, "VAULT_ERROR");
      expect(issueResponse.body.details).toMatchObject({ vault: "sealed" });
      expect(issueResponse.headers.get("Retry-After")).not.toBeNull();

      const health = await call("GET", "/health", { key: null, env: failureVault() });
      expectStatus(health, 503);
      expect(health.body).toMatchObject({
        vault: { reachable: true, initialized: true, sealed: true },
      });
    } finally {
      await devControl("unseal");
    }
  });
});

describe("with Vault slow", () => {
  it("times out instead of hanging", async () => {
    await devControl("latency", { ms: 2_000 });
    try {
      const response = await call("POST", "/license/issue", {
        body: { customer: "acme", modules: ["core"], expires_at: daysFromNow(10) },
        env: { ...failureVault(), VAULT_TIMEOUT_MS: "300" } as Partial<Env>,
      });
      expectError(response, 503, "VAULT_ERROR");
      expect(response.body.details).toMatchObject({ vault: "timeout" });
    } finally {
      await devControl("latency", { ms: 0 });
    }
  });
});
