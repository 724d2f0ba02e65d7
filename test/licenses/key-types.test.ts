import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { VAULT_KEY_TYPES } from "../../src/crypto/verify.ts";
import { call, daysFromNow, expectStatus, issue, validate } from "../helpers.ts";

describe("every Transit key type", () => {
  it.each(VAULT_KEY_TYPES)(
    "issues, validates and detects tampering with a %s key",
    async (type) => {
      const options = { env: { TRANSIT_KEY: `licensing-test-${type}` } };
      const license = await issue({ modules: ["core"] }, options);

      expect((await validate(license, "core", options)).body).toMatchObject({
        valid: true,
        code: "VALID",
      });
      const tampered = { ...license, modules: ["core", "enterprise"] };
      expect((await validate(tampered, undefined, options)).body).toMatchObject({
        code: "INVALID_SIGNATURE",
      });
    },
  );
});

describe("license state freshness", () => {
  it("sees a change made elsewhere within LICENSE_STATE_CACHE_SECONDS", async () => {
    const options = { env: { LICENSE_STATE_CACHE_SECONDS: "1" } as Partial<Env> };
    const license = await issue({}, options);
    expect((await validate(license, undefined, options)).body).toMatchObject({ code: "VALID" });

    // Another isolate's revocation: written to D1 without passing through this isolate.
    await env.DB.prepare(
      "UPDATE licenses SET revoke_at = ?1, revocation_reason = 'elsewhere' WHERE license_id = ?2",
    )
      .bind(new Date().toISOString(), license.license_id)
      .run();
    const cached = await validate(license, undefined, options);
    expect(cached.body, "served from the isolate within the bound").toMatchObject({
      code: "VALID",
    });

    await new Promise((resolve) => setTimeout(resolve, 1_050));
    expect((await validate(license, undefined, options)).body).toMatchObject({ code: "REVOKED" });
  });

  it("reads D1 on every validation when the cache is off", async () => {
    const options = { env: { LICENSE_STATE_CACHE_SECONDS: "0" } as Partial<Env> };
    const license = await issue({}, options);
    expect((await validate(license, undefined, options)).body).toMatchObject({ code: "VALID" });
    await env.DB.prepare("UPDATE licenses SET suspended_at = ?1 WHERE license_id = ?2")
      .bind(new Date().toISOString(), license.license_id)
      .run();
    expect((await validate(license, undefined, options)).body).toMatchObject({ code: "SUSPENDED" });
  });

  it("returns a D1 bookmark for read-your-writes", async () => {
    const response = await call("POST", "/license/issue", {
      body: { customer: "bookmark", modules: [], expires_at: daysFromNow(2) },
    });
    expectStatus(response, 201);
    const bookmark = response.headers.get("X-D1-Bookmark");
    expect(bookmark).toBeTruthy();
    const listed = await call("GET", "/license/list?customer=bookmark", {
      headers: { "X-D1-Bookmark": String(bookmark) },
    });
    expectStatus(listed, 200);
  });
});

describe("verification delegated to Vault (VERIFY_AT=vault)", () => {
  const delegated = { VERIFY_AT: "vault" } as Partial<Env>;

  it.each(["ed25519", "ecdsa-p384", "rsa-2048"] as const)(
    "gives the same answers (%s)",
    async (type) => {
      const settings = { ...delegated, TRANSIT_KEY: `licensing-test-${type}` } as Partial<Env>;
      const license = await issue({}, { env: settings });
      expect((await validate(license, undefined, { env: settings })).body).toMatchObject({
        code: "VALID",
      });
      const tampered = { ...license, customer: "someone else" };
      expect((await validate(tampered, undefined, { env: settings })).body).toMatchObject({
        code: "INVALID_SIGNATURE",
      });
    },
  );

  it("stops validating when Vault is down, which edge verification does not", async () => {
    const license = await issue();
    const down = { VAULT_ADDR: "http://127.0.0.1:9" } as Partial<Env>;
    const atEdge = await validate(license, undefined, { env: down });
    expect(atEdge.body).toMatchObject({ code: "VALID" });
    const atVault = await validate(license, undefined, { env: { ...down, ...delegated } });
    expect(atVault.status).toBe(503);
  });
});
