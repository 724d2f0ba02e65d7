import { env } from "cloudflare:test";
import { base64url } from "jose";
import { describe, expect, it } from "vitest";
import {
  ADMIN_KEY,
  call,
  daysFromNow,
  expectError,
  expectStatus,
  type LicenseDoc,
} from "../helpers.ts";
import {
  type AuthSettings,
  type Claims,
  ensureTenant,
  expectRefused,
  keyServerCounts,
  nowSeconds,
  settings,
  sign,
  unsignedToken,
} from "./tokens.ts";

const SECRET = "test-jwt-secret-0123456789abcdef0123456789";
const AUDIENCE = "license-authority-test";
const ISSUER = "https://idp.example.test";
const JWT: AuthSettings = {
  JWT_SECRET: SECRET,
  JWT_AUDIENCE: AUDIENCE,
  JWT_ISSUER: ISSUER,
  JWT_JWKS_URL: env.TEST_JWKS_URL,
};
const JWT_ENV = settings(JWT);

function claims(overrides: Claims = {}): Claims {
  const now = nowSeconds();
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: "user-1",
    role: "issuer",
    iat: now,
    exp: now + 300,
    ...overrides,
  };
}

const hs256 = (overrides: Claims = {}, secret = SECRET) =>
  sign(claims(overrides), "HS256", new TextEncoder().encode(secret));
const rs256 = (overrides: Claims = {}) =>
  sign(claims(overrides), "RS256", env.TEST_JWT_PRIVATE_JWK);
const es256 = (overrides: Claims = {}) =>
  sign(claims(overrides), "ES256", env.TEST_JWT_ES256_PRIVATE_JWK);

const issueBody = () => ({
  customer: `jwt-${crypto.randomUUID()}`,
  modules: ["core"],
  expires_at: daysFromNow(30),
});

const list = (token: string, query = "", bindings: AuthSettings = JWT) =>
  call<{ licenses: { license: LicenseDoc }[] }>("GET", `/license/list${query}`, {
    key: token,
    env: settings(bindings),
  });

describe("bearer JWTs", () => {
  it("lets an HS256 token act with its role", async () => {
    const issuer = await hs256({ role: "issuer" });
    const issued = await call<{ license: LicenseDoc }>("POST", "/license/issue", {
      key: issuer,
      body: issueBody(),
      env: JWT_ENV,
    });
    expectStatus(issued, 201);
    expectStatus(await list(issuer), 200);

    const shown = await call<{ history: { actor: string }[] }>(
      "GET",
      `/license/${issued.body.license.license_id}`,
      { key: issuer, env: JWT_ENV },
    );
    expectStatus(shown, 200);
    expect(shown.body.history[0]?.actor).toBe(`jwt:${ISSUER}:user-1`);

    const reader = await hs256({ role: "reader" });
    expectStatus(await list(reader), 200);
    const refused = await call("POST", "/license/issue", {
      key: reader,
      body: issueBody(),
      env: JWT_ENV,
    });
    expectError(refused, 403, "FORBIDDEN");

    const validator = await hs256({ role: "validator" });
    expectError(await list(validator), 403, "FORBIDDEN");
  });

  it("accepts RS256 and ES256 tokens signed by keys of the JWKS", async () => {
    expectStatus(await list(await rs256({ role: "reader" })), 200);
    expectStatus(await list(await es256({ role: "reader" })), 200);
  });

  it("fetches the JWKS once, not per request", async () => {
    // A URL of its own, so that no earlier test has filled this isolate's cache for it.
    const url = `${env.TEST_JWKS_URL}?isolate=${crypto.randomUUID()}`;
    const bindings = { JWT_AUDIENCE: AUDIENCE, JWT_JWKS_URL: url };
    const token = await rs256({ role: "reader" });
    for (let i = 0; i < 3; i++) {
      expectStatus(await list(token, "", bindings), 200);
    }
    const parallel = await Promise.all([1, 2, 3].map(() => list(token, "", bindings)));
    for (const response of parallel) {
      expectStatus(response, 200);
    }
    expectStatus(await list(await es256({ role: "reader" }), "", bindings), 200);

    const { pathname, search } = new URL(url);
    expect((await keyServerCounts())[`${pathname}${search}`]).toBe(1);
  });

  it("keeps accepting API keys when JWTs are configured", async () => {
    expectStatus(await list(ADMIN_KEY), 200);
    const response = await call("GET", "/license/list", {
      key: null,
      headers: { "X-API-Key": ADMIN_KEY },
      env: JWT_ENV,
    });
    expectStatus(response, 200);
  });

  it("treats a JWT as an API key, which does not match, when JWTs are not configured", async () => {
    const response = await call("GET", "/license/list", { key: await hs256() });
    expectError(response, 401, "UNAUTHORIZED");
    expect(response.headers.get("WWW-Authenticate")).toBe(
      'Bearer realm="license-authority", error="invalid_token"',
    );
  });

  it("refuses an expired token, allowing 30 seconds of clock skew", async () => {
    expectRefused(await list(await hs256({ exp: nowSeconds() - 120 })), "expired");
    expectStatus(await list(await hs256({ exp: nowSeconds() - 10 })), 200);
  });

  it("refuses a token that is not yet valid", async () => {
    expectRefused(await list(await hs256({ nbf: nowSeconds() + 120 })), "not yet valid");
    expectStatus(await list(await hs256({ nbf: nowSeconds() + 10 })), 200);
  });

  it("refuses a token without an expiry", async () => {
    expectRefused(await list(await hs256({ exp: undefined })), "missing exp");
  });

  it("refuses a token for another audience", async () => {
    expectRefused(await list(await hs256({ aud: "another-service" })), "wrong audience");
    expectRefused(await list(await rs256({ aud: undefined })), "missing aud");
  });

  it("refuses a token from another issuer", async () => {
    expectRefused(await list(await rs256({ iss: "https://evil.example" })), "wrong issuer");
  });

  it("accepts any issuer when none is configured, and names it in the key id", async () => {
    const bindings = settings({ JWT_SECRET: SECRET, JWT_AUDIENCE: AUDIENCE });
    const token = await hs256({ iss: undefined, sub: "robot" });
    const issued = await call<{ license: LicenseDoc }>("POST", "/license/issue", {
      key: token,
      body: issueBody(),
      env: bindings,
    });
    expectStatus(issued, 201);
    const shown = await call<{ history: { actor: string }[] }>(
      "GET",
      `/license/${issued.body.license.license_id}`,
      { key: token, env: bindings },
    );
    expect(shown.body.history[0]?.actor).toBe("jwt:-:robot");
  });

  it("refuses a token with a bad signature", async () => {
    const other = await hs256({}, "another-secret-0123456789abcdef0123456789");
    expectRefused(await list(other), "bad signature");

    // A genuine RS256 token whose claims were changed afterwards.
    const [header, payload, signature] = (await rs256({ role: "reader" })).split(".");
    const original = JSON.parse(new TextDecoder().decode(base64url.decode(String(payload))));
    const forged = base64url.encode(JSON.stringify({ ...original, role: "admin" }));
    expectRefused(await list(`${header}.${forged}.${signature}`), "bad signature");
  });

  it("refuses an unsigned token (alg none)", async () => {
    expectRefused(await list(unsignedToken(claims({ role: "admin" }))), "unsigned token");
  });

  it("never checks an HMAC token with the public key of the JWKS", async () => {
    // The classic confusion: the RSA public key, which is public, used as the HMAC secret.
    const confused = await sign(
      claims({ role: "admin" }),
      "HS256",
      new TextEncoder().encode(env.TEST_JWT_PUBLIC_PEM),
    );
    expectRefused(await list(confused), "bad signature");
    const jwksOnly = { JWT_AUDIENCE: AUDIENCE, JWT_JWKS_URL: env.TEST_JWKS_URL };
    expectRefused(await list(confused, "", jwksOnly), "algorithm not allowed");
  });

  it("refuses algorithms outside the allow-list before touching a key", async () => {
    const rs256Only = {
      JWT_AUDIENCE: AUDIENCE,
      JWT_JWKS_URL: env.TEST_JWKS_URL,
      JWT_ALGORITHMS: "RS256",
    };
    expectStatus(await list(await rs256({ role: "reader" }), "", rs256Only), 200);
    expectRefused(await list(await es256(), "", rs256Only), "algorithm not allowed");

    // HS512 is not allowed by default, even with a secret configured.
    const hs512 = await sign(claims(), "HS512", new TextEncoder().encode(SECRET));
    expectRefused(await list(hs512), "algorithm not allowed");
    const withHs512 = { JWT_SECRET: SECRET, JWT_AUDIENCE: AUDIENCE, JWT_ALGORITHMS: "HS512" };
    expectStatus(await list(hs512, "", withHs512), 200);
  });

  it("refuses a token signed by a key the JWKS does not hold", async () => {
    const stranger = await sign(claims(), "RS256", env.TEST_ACCESS_PRIVATE_JWK);
    expectRefused(await list(stranger), "unknown signing key");
  });

  it("refuses asymmetric tokens while the JWKS cannot be fetched", async () => {
    const bindings = {
      JWT_AUDIENCE: AUDIENCE,
      JWT_JWKS_URL: `${env.TEST_KEY_ORIGIN}/missing-${crypto.randomUUID()}.json`,
    };
    expectRefused(await list(await rs256(), "", bindings), "signing keys unavailable");
  });

  it("refuses a role it does not know, or none", async () => {
    expectRefused(await list(await hs256({ role: "superuser" })), "unknown role");
    expectRefused(await list(await hs256({ role: ["admin"] })), "unknown role");
    expectRefused(await list(await hs256({ role: undefined })), "missing role");
  });

  it("reads the role and tenant from the configured claims", async () => {
    const tenant = `tenant-${crypto.randomUUID()}`;
    await ensureTenant(tenant);
    const bindings = {
      ...JWT,
      JWT_ROLE_CLAIM: "https://example.test/role",
      JWT_TENANT_CLAIM: "org",
    };
    const token = await hs256({
      role: undefined,
      "https://example.test/role": "reader",
      org: tenant,
    });
    expectStatus(await list(token, "", bindings), 200);
    expectRefused(await list(await hs256(), "", bindings), "missing role");
  });

  it("refuses a token without a subject", async () => {
    expectRefused(await list(await hs256({ sub: undefined })), "missing sub");
    expectRefused(await list(await hs256({ sub: "" })), "missing sub");
  });

  it("refuses a malformed token", async () => {
    expectRefused(await list("eyJub3QiOiJqc29uIn0.e30.c2ln"), "malformed token");
  });

  it("acts for the token's tenant", async () => {
    const tenantA = `tenant-a-${crypto.randomUUID()}`;
    const tenantB = `tenant-b-${crypto.randomUUID()}`;
    await ensureTenant(tenantA);
    await ensureTenant(tenantB);
    const body = issueBody();
    const issued = await call<{ license: LicenseDoc }>("POST", "/license/issue", {
      key: await hs256({ role: "issuer", tenant: tenantB }),
      body,
      env: JWT_ENV,
    });
    expectStatus(issued, 201);

    const query = `?customer=${body.customer}`;
    const ofB = await list(await hs256({ role: "reader", tenant: tenantB }), query);
    expectStatus(ofB, 200);
    expect(ofB.body.licenses.map((l) => l.license.license_id)).toEqual([
      issued.body.license.license_id,
    ]);
    const ofA = await list(await hs256({ role: "reader", tenant: tenantA }), query);
    expectStatus(ofA, 200);
    expect(ofA.body.licenses).toEqual([]);
    const ofDefault = await list(await hs256({ role: "reader" }), query);
    expectStatus(ofDefault, 200);
    expect(ofDefault.body.licenses).toEqual([]);
  });
});
