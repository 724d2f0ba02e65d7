import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { accessTeamOrigin } from "../../src/auth/access.ts";
import { ConfigError } from "../../src/config.ts";
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
} from "./tokens.ts";

const AUD_TAG = "4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2";
const ACCESS: AuthSettings = {
  ACCESS_TEAM_DOMAIN: env.TEST_ACCESS_TEAM_DOMAIN,
  ACCESS_AUD: AUD_TAG,
};

/** Claims as Access puts them in an application token for a user who logged in. */
function userClaims(overrides: Claims = {}): Claims {
  const now = nowSeconds();
  return {
    aud: [AUD_TAG],
    email: "user@example.com",
    exp: now + 300,
    iat: now,
    nbf: now,
    iss: env.TEST_ACCESS_TEAM_DOMAIN,
    type: "app",
    identity_nonce: "6ei69kawdKzMIAPF",
    sub: "7335d417-61da-459d-899c-0a01c76a2f94",
    country: "US",
    ...overrides,
  };
}

const assertion = (overrides: Claims = {}) =>
  sign(userClaims(overrides), "RS256", env.TEST_ACCESS_PRIVATE_JWK);

const withAssertion = (
  method: string,
  path: string,
  token: string,
  bindings: AuthSettings = ACCESS,
  body?: unknown,
) =>
  call<{ license: LicenseDoc; licenses: unknown[]; history: { actor: string }[] }>(method, path, {
    key: null,
    headers: { "Cf-Access-Jwt-Assertion": token },
    env: settings(bindings),
    ...(body === undefined ? {} : { body }),
  });

describe("Cloudflare Access", () => {
  // First in this file: the isolate has not fetched the certs yet, so exactly one fetch is due.
  it("fetches the team's certs once, not per request", async () => {
    const token = await assertion();
    const before = (await keyServerCounts())["/cdn-cgi/access/certs"] ?? 0;
    for (let i = 0; i < 3; i++) {
      expectStatus(await withAssertion("GET", "/license/list", token), 200);
    }
    const parallel = await Promise.all(
      [1, 2, 3].map(() => withAssertion("GET", "/license/list", token)),
    );
    for (const response of parallel) {
      expectStatus(response, 200);
    }
    expect((await keyServerCounts())["/cdn-cgi/access/certs"]).toBe(before + 1);
  });

  it("maps a valid assertion to the configured role", async () => {
    const token = await assertion();
    expectStatus(await withAssertion("GET", "/license/list", token), 200);
    const body = { customer: "access", modules: [], expires_at: daysFromNow(10) };
    const refused = await withAssertion("POST", "/license/issue", token, ACCESS, body);
    expectError(refused, 403, "FORBIDDEN");

    const issuers = { ...ACCESS, ACCESS_ROLE: "issuer" };
    const issued = await withAssertion("POST", "/license/issue", token, issuers, body);
    expectStatus(issued, 201);
    const shown = await withAssertion(
      "GET",
      `/license/${issued.body.license.license_id}`,
      token,
      issuers,
    );
    expectStatus(shown, 200);
    expect(shown.body.history[0]?.actor).toBe("access:user@example.com");
  });

  it("acts for the configured tenant", async () => {
    const tenant = `access-${crypto.randomUUID()}`;
    await ensureTenant(tenant);
    const token = await assertion();
    const issuers = { ...ACCESS, ACCESS_ROLE: "issuer", ACCESS_TENANT: tenant };
    const body = {
      customer: `access-${crypto.randomUUID()}`,
      modules: [],
      expires_at: daysFromNow(10),
    };
    expectStatus(await withAssertion("POST", "/license/issue", token, issuers, body), 201);

    const query = `/license/list?customer=${body.customer}`;
    const ofTenant = await withAssertion("GET", query, token, issuers);
    expectStatus(ofTenant, 200);
    expect(ofTenant.body.licenses).toHaveLength(1);
    const ofDefault = await call<{ licenses: unknown[] }>("GET", query, { key: ADMIN_KEY });
    expectStatus(ofDefault, 200);
    expect(ofDefault.body.licenses).toEqual([]);
  });

  it("names a service token by its common name", async () => {
    const token = await assertion({
      email: undefined,
      sub: "",
      common_name: "0123456789abcdef.access",
      identity_nonce: undefined,
      country: undefined,
    });
    const issuers = { ...ACCESS, ACCESS_ROLE: "issuer" };
    const body = { customer: "svc", modules: [], expires_at: daysFromNow(10) };
    const issued = await withAssertion("POST", "/license/issue", token, issuers, body);
    expectStatus(issued, 201);
    const shown = await withAssertion(
      "GET",
      `/license/${issued.body.license.license_id}`,
      token,
      issuers,
    );
    expect(shown.body.history[0]?.actor).toBe("access:0123456789abcdef.access");
  });

  it("refuses an assertion for another application", async () => {
    const token = await assertion({ aud: ["another-application-aud-tag"] });
    expectRefused(await withAssertion("GET", "/license/list", token), "wrong audience");
  });

  it("refuses an assertion issued by another team", async () => {
    const token = await assertion({ iss: "https://other-team.cloudflareaccess.com" });
    expectRefused(await withAssertion("GET", "/license/list", token), "wrong issuer");
  });

  it("refuses an expired assertion", async () => {
    const token = await assertion({ exp: nowSeconds() - 120 });
    expectRefused(await withAssertion("GET", "/license/list", token), "expired");
  });

  it("refuses an assertion signed by a key not in the team's certs", async () => {
    const token = await sign(userClaims(), "RS256", env.TEST_JWT_PRIVATE_JWK, {
      kid: "access-rs256",
    });
    expectRefused(await withAssertion("GET", "/license/list", token), "bad signature");
    const unknownKid = await sign(userClaims(), "RS256", env.TEST_JWT_PRIVATE_JWK);
    expectRefused(await withAssertion("GET", "/license/list", unknownKid), "unknown signing key");
  });

  it("refuses anything but RS256", async () => {
    const es256 = await sign(userClaims(), "ES256", env.TEST_JWT_ES256_PRIVATE_JWK);
    expectRefused(await withAssertion("GET", "/license/list", es256), "algorithm not allowed");
    const hs256 = await sign(userClaims(), "HS256", new TextEncoder().encode(AUD_TAG));
    expectRefused(await withAssertion("GET", "/license/list", hs256), "algorithm not allowed");
  });

  it("refuses an assertion naming nobody", async () => {
    const token = await assertion({ email: undefined, sub: "" });
    expectRefused(await withAssertion("GET", "/license/list", token), "missing identity");
  });

  it("ignores the header when Access is not configured", async () => {
    const token = await assertion();
    const response = await withAssertion("GET", "/license/list", token, {});
    expectError(response, 401, "UNAUTHORIZED");
    expect(response.headers.get("WWW-Authenticate")).toBe('Bearer realm="license-authority"');
  });

  it("prefers an API key sent along with the assertion", async () => {
    const response = await call("GET", "/license/list", {
      headers: { "Cf-Access-Jwt-Assertion": "not-even-a-token" },
      env: settings(ACCESS),
    });
    expectStatus(response, 200);
  });
});

describe("accessTeamOrigin", () => {
  it("implies https for a bare team domain", () => {
    expect(accessTeamOrigin("myteam.cloudflareaccess.com")).toBe(
      "https://myteam.cloudflareaccess.com",
    );
  });

  it("keeps the scheme and port given, and drops a trailing slash", () => {
    expect(accessTeamOrigin("https://myteam.cloudflareaccess.com/")).toBe(
      "https://myteam.cloudflareaccess.com",
    );
    expect(accessTeamOrigin("http://127.0.0.1:8911")).toBe("http://127.0.0.1:8911");
  });

  it("rejects what is not a host name or an http(s) URL", () => {
    expect(() => accessTeamOrigin("ftp://myteam.example")).toThrow(ConfigError);
    expect(() => accessTeamOrigin("my team")).toThrow(ConfigError);
  });
});
