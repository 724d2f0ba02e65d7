import { env } from "cloudflare:test";
import { createLocalJWKSet, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { VAULT_KEY_TYPES } from "../../src/crypto/verify.ts";
import { call, daysFromNow, expectError, expectStatus } from "../helpers.ts";

interface Issued {
  license: { license_id: string; key_version: number; [field: string]: unknown };
  license_token: string;
}
interface KeyView {
  name: string;
  latest_version: number;
  min_version: number;
  versions: { version: number; kid: string; retired: boolean }[];
}

/** A tenant with a signing key of its own, and an admin key for it. */
async function tenantWithKey(
  type: string,
  transitKey?: string,
): Promise<{ id: string; key: string }> {
  const id = `k-${crypto.randomUUID().slice(0, 8)}`;
  const created = await call("POST", "/tenants", {
    body: { tenant_id: id, name: id, transit_key: transitKey ?? `${id}-signing`, key_type: type },
  });
  expectStatus(created, 201);
  const credential = await call<{ secret: string }>("POST", "/credentials", {
    body: { name: "admin", role: "admin", tenant_id: id },
  });
  expectStatus(credential, 201);
  return { id, key: credential.body.secret };
}

async function issueAs(key: string, extra: Record<string, unknown> = {}, settings?: Partial<Env>) {
  const response = await call<Issued>("POST", "/license/issue", {
    body: { customer: "rotation", modules: ["core"], expires_at: daysFromNow(30), ...extra },
    key,
    ...(settings ? { env: settings } : {}),
  });
  expectStatus(response, 201);
  return response.body;
}

async function validateAs(key: string, license: unknown, settings?: Partial<Env>) {
  const response = await call<{ code: string; valid: boolean }>("POST", "/license/validate", {
    body: { license },
    key,
    ...(settings ? { env: settings } : {}),
  });
  expectStatus(response, 200);
  return response.body;
}

describe("license tokens", () => {
  it.each(VAULT_KEY_TYPES)("verify with stock jose against the JWKS (%s)", async (type) => {
    const tenant = await tenantWithKey(type, `licensing-test-${type}`);
    const issued = await issueAs(tenant.key, {
      metadata: { seats: 3 },
      not_before: daysFromNow(0),
    });

    const jwks = await call<{ keys: unknown[] }>(
      "GET",
      `/.well-known/jwks.json?tenant=${tenant.id}`,
      {
        key: null,
      },
    );
    expectStatus(jwks, 200);
    expect(jwks.headers.get("Cache-Control")).toContain("max-age");
    const { payload, protectedHeader } = await jwtVerify(
      issued.license_token,
      createLocalJWKSet(jwks.body as Parameters<typeof createLocalJWKSet>[0]),
    );
    expect(payload).toMatchObject({
      sub: "rotation",
      jti: issued.license.license_id,
      modules: ["core"],
      metadata: { seats: 3 },
      iss: "edge-license-authority",
    });
    expect(payload.exp).toBe(Math.ceil(Date.parse(String(issued.license.expires_at)) / 1000));
    expect(protectedHeader.kid).toBe(`licensing-test-${type}:v${issued.license.key_version}`);

    // The token and the object are the same license to the service.
    expect(await validateAs(tenant.key, issued.license_token)).toMatchObject({ code: "VALID" });
    const [head, body, signature] = issued.license_token.split(".");
    const forged = `${head}.${body?.slice(0, -2)}AA.${signature}`;
    const refused = await call("POST", "/license/validate", {
      body: { license_token: forged },
      key: tenant.key,
    });
    expect(refused.status === 400 || refused.body.code === "INVALID_SIGNATURE").toBe(true);
  });

  it("is returned for renewals and batches, and accepted for renewal", async () => {
    const tenant = await tenantWithKey("ed25519");
    const issued = await issueAs(tenant.key);
    const renewed = await call<Issued>("POST", "/license/renew", {
      body: { license: issued.license_token, new_expires_at: daysFromNow(60) },
      key: tenant.key,
    });
    expectStatus(renewed, 201);
    expect(renewed.body.license_token.split(".")).toHaveLength(3);
    expect(await validateAs(tenant.key, issued.license_token)).toMatchObject({
      code: "SUPERSEDED",
    });

    const batch = await call<{ results: Issued[] }>("POST", "/license/batch/issue", {
      body: { licenses: [{ customer: "b", modules: [], expires_at: daysFromNow(5) }] },
      key: tenant.key,
    });
    const token = batch.body.results[0]?.license_token;
    expect(await validateAs(tenant.key, token)).toMatchObject({ code: "VALID" });
  });
});

describe("key rotation", () => {
  it("keeps old licenses valid and signs new ones with the new version, Vault-free", async () => {
    const tenant = await tenantWithKey("ecdsa-p256");
    const before = await Promise.all(Array.from({ length: 5 }, () => issueAs(tenant.key)));
    expect(before.every((i) => i.license.key_version === 1)).toBe(true);

    const rotated = await call<{ key: KeyView }>("POST", "/keys/rotate", {
      body: {},
      key: tenant.key,
    });
    expectStatus(rotated, 200);
    expect(rotated.body.key.latest_version).toBe(2);

    // Issuing and validating concurrently while the new version takes over.
    const [after, validations] = await Promise.all([
      Promise.all(Array.from({ length: 5 }, () => issueAs(tenant.key))),
      Promise.all(before.map((i) => validateAs(tenant.key, i.license))),
    ]);
    expect(after.every((i) => i.license.key_version === 2)).toBe(true);
    expect(validations.every((v) => v.code === "VALID")).toBe(true);

    // With Vault unreachable, a fresh cache validates both generations from D1 alone.
    const noVault = { VAULT_ADDR: "http://127.0.0.1:9" } as Partial<Env>;
    const offline = await Promise.all(
      [...before, ...after].map((i) => validateAs(tenant.key, i.license_token, noVault)),
    );
    expect(offline.map((v) => v.code)).toEqual(Array(10).fill("VALID"));
  });

  it("is noticed by another isolate through the version in D1", async () => {
    const tenant = await tenantWithKey("ed25519");
    // Another address for the same Vault stands for another isolate: its own key cache.
    const otherIsolate = {
      VAULT_ADDR: env.VAULT_ADDR.replace("127.0.0.1", "localhost"),
    } as Partial<Env>;
    expect((await issueAs(tenant.key, {}, otherIsolate)).license.key_version).toBe(1);
    expectStatus(await call("POST", "/keys/rotate", { body: {}, key: tenant.key }), 200);
    expect((await issueAs(tenant.key, {}, otherIsolate)).license.key_version).toBe(2);
  });

  it("retires old versions with a minimum, and can bring them back", async () => {
    const tenant = await tenantWithKey("ed25519");
    const old = await issueAs(tenant.key);
    await call("POST", "/keys/rotate", { body: {}, key: tenant.key });
    const current = await issueAs(tenant.key);
    const migrated = await issueAs(tenant.key, { key_version: 1 });
    expect(migrated.license.key_version).toBe(1);

    const retired = await call<{ key: KeyView }>("POST", "/keys/min-version", {
      body: { min_version: 2 },
      key: tenant.key,
    });
    expectStatus(retired, 200);
    expect(retired.body.key.versions.map((v) => [v.version, v.retired])).toEqual([
      [1, true],
      [2, false],
    ]);
    expect(await validateAs(tenant.key, old.license)).toMatchObject({
      valid: false,
      code: "KEY_VERSION_RETIRED",
    });
    expect(await validateAs(tenant.key, current.license)).toMatchObject({ code: "VALID" });
    const jwks = await call<{ keys: { kid: string }[] }>(
      "GET",
      `/.well-known/jwks.json?tenant=${tenant.id}`,
      { key: null },
    );
    expect(jwks.body.keys.map((k) => k.kid)).toEqual([`${tenant.id}-signing:v2`]);
    expectError(
      await call("POST", "/license/issue", {
        body: { customer: "x", modules: [], expires_at: daysFromNow(3), key_version: 1 },
        key: tenant.key,
      }),
      400,
      "INVALID_LICENSE",
    );

    expectStatus(
      await call("POST", "/keys/min-version", { body: { min_version: 1 }, key: tenant.key }),
      200,
    );
    expect(await validateAs(tenant.key, old.license)).toMatchObject({ code: "VALID" });
    expectError(
      await call("POST", "/keys/min-version", { body: { min_version: 9 }, key: tenant.key }),
      400,
      "INVALID_LICENSE",
    );
  });
});

describe("key management", () => {
  it("shows the key with its versions, public keys and creation times", async () => {
    const tenant = await tenantWithKey("rsa-2048");
    const shown = await call<{
      key: KeyView & { type: string; versions: { public_key: string; created_at: string }[] };
    }>("GET", "/keys", { key: tenant.key });
    expectStatus(shown, 200);
    expect(shown.body.key).toMatchObject({ type: "rsa-2048", latest_version: 1, min_version: 1 });
    expect(shown.body.key.versions[0]?.public_key).toMatch(/BEGIN PUBLIC KEY/);
    expect(Date.parse(String(shown.body.key.versions[0]?.created_at))).not.toBeNaN();
  });

  it("creates a key once, and refuses to replace it", async () => {
    const tenant = await tenantWithKey("ed25519");
    expectError(
      await call("POST", "/keys", { body: { type: "ecdsa-p384" }, key: tenant.key }),
      409,
      "CONFLICT",
    );
    expectError(
      await call("POST", "/keys", { body: { type: "aes256-gcm96" }, key: tenant.key }),
      400,
      "INVALID_LICENSE",
    );
  });

  it("lets a tenant on the shared key not touch it", async () => {
    const id = `s-${crypto.randomUUID().slice(0, 8)}`;
    expectStatus(await call("POST", "/tenants", { body: { tenant_id: id, name: id } }), 201);
    const credential = await call<{ secret: string }>("POST", "/credentials", {
      body: { name: "a", role: "admin", tenant_id: id },
    });
    const response = await call("POST", "/keys/rotate", { body: {}, key: credential.body.secret });
    expectError(response, 403, "FORBIDDEN");
  });
});
