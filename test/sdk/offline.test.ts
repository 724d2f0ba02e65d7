// Offline verification of license tokens, with tokens made here by jose for every algorithm the
// service signs with, checked against a local JWK set and against the key set served over HTTP.

import { env } from "cloudflare:test";
import { base64url, generateSecret, importJWK, type JSONWebKeySet, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import {
  LicenseKeySetError,
  TOKEN_ALGORITHMS,
  type TokenVerification,
  verifyLicenseToken,
} from "../../sdk/index.ts";
import {
  claims,
  expectedLicense,
  ISSUER,
  iso,
  keyPair,
  LICENSE_ID,
  nowSeconds,
  type SigningKey,
  signToken as sign,
  signingKeys,
  withPayload,
} from "../fixtures/license-tokens.ts";

type Algorithm = (typeof TOKEN_ALGORITHMS)[number];

let keys = new Map<Algorithm, SigningKey<Algorithm>>();
/** A second key per algorithm, never published: it signs forgeries. */
const strangers = new Map<Algorithm, SigningKey<Algorithm>>();
let jwks: JSONWebKeySet = { keys: [] };

beforeAll(async () => {
  ({ keys, jwks } = await signingKeys(TOKEN_ALGORITHMS));
  for (const [alg, key] of keys) {
    strangers.set(alg, (await keyPair(alg, key.kid)).key);
  }
});

function keyFor(alg: Algorithm, from = keys): SigningKey<Algorithm> {
  const key = from.get(alg);
  if (key === undefined) {
    throw new Error(`no ${alg} key`);
  }
  return key;
}

function expectInvalid(result: TokenVerification): void {
  expect(result).toEqual({
    valid: false,
    code: "INVALID_SIGNATURE",
    license: null,
    expiresAt: null,
  });
}

describe.each(TOKEN_ALGORITHMS)("%s tokens", (alg) => {
  it("are valid, and carry the license", async () => {
    const payload = claims();
    const token = await sign(payload, keyFor(alg));
    const result = await verifyLicenseToken(token, { jwks });
    expect(result.valid).toBe(true);
    expect(result.code).toBe("VALID");
    expect(result.license).toEqual(expectedLicense(payload, keyFor(alg).kid));
    expect(result.expiresAt).toEqual(new Date(Number(payload.exp) * 1_000));
  });

  it("check the module asked for", async () => {
    const token = await sign(claims(), keyFor(alg));
    expect(await verifyLicenseToken(token, { jwks, module: "reports" })).toMatchObject({
      valid: true,
      code: "VALID",
    });
    const missing = await verifyLicenseToken(token, { jwks, module: "sso" });
    expect(missing).toMatchObject({ valid: false, code: "MODULE_NOT_LICENSED" });
    expect(missing.license?.license_id).toBe(LICENSE_ID);
  });

  it("report EXPIRED past the clock tolerance, with the license", async () => {
    const expired = await sign(claims({ exp: nowSeconds() - 3_600 }), keyFor(alg));
    const result = await verifyLicenseToken(expired, { jwks });
    expect(result).toMatchObject({ valid: false, code: "EXPIRED" });
    expect(result.license?.customer).toBe("acme");
    expect(result.expiresAt?.getTime()).toBeLessThan(Date.now());

    const justExpired = await sign(claims({ exp: nowSeconds() - 30 }), keyFor(alg));
    expect((await verifyLicenseToken(justExpired, { jwks })).code).toBe("VALID");
    const strict = await verifyLicenseToken(justExpired, { jwks, clockToleranceSeconds: 0 });
    expect(strict.code).toBe("EXPIRED");
  });

  it("report NOT_YET_VALID, allowing for clock skew", async () => {
    const soon = await sign(claims({ nbf: nowSeconds() + 30 }), keyFor(alg));
    const tolerated = await verifyLicenseToken(soon, { jwks });
    expect(tolerated.code).toBe("VALID");
    expect(tolerated.license?.not_before).toBe(iso(nowSeconds() + 30));
    const strict = await verifyLicenseToken(soon, { jwks, clockToleranceSeconds: 0 });
    expect(strict).toMatchObject({ valid: false, code: "NOT_YET_VALID" });
    expect(strict.license?.license_id).toBe(LICENSE_ID);

    const later = await sign(claims({ nbf: nowSeconds() + 3_600 }), keyFor(alg));
    expect((await verifyLicenseToken(later, { jwks })).code).toBe("NOT_YET_VALID");
    const wide = await verifyLicenseToken(later, { jwks, clockToleranceSeconds: 7_200 });
    expect(wide.code).toBe("VALID");
  });

  it("are refused when the payload was tampered with", async () => {
    const payload = claims();
    const token = await sign(payload, keyFor(alg));
    const more = withPayload(token, { ...payload, modules: ["core", "reports", "sso"] });
    expectInvalid(await verifyLicenseToken(more, { jwks }));
    const longer = withPayload(token, { ...payload, exp: Number(payload.exp) + 86_400 });
    expectInvalid(await verifyLicenseToken(longer, { jwks }));
  });

  it("are refused when signed by an unknown kid or an unpublished key", async () => {
    const unknown = await sign(claims(), keyFor(alg), { kid: "licensing:v99" });
    expectInvalid(await verifyLicenseToken(unknown, { jwks }));
    const forged = await sign(claims(), keyFor(alg, strangers));
    expectInvalid(await verifyLicenseToken(forged, { jwks }));
  });

  it("are refused with alg none", async () => {
    const token = await sign(claims(), keyFor(alg));
    const [, payload, signature] = token.split(".");
    const none = base64url.encode(JSON.stringify({ alg: "none", typ: "JWT" }));
    expectInvalid(await verifyLicenseToken(`${none}.${payload}.`, { jwks }));
    const noneWithKid = base64url.encode(
      JSON.stringify({ alg: "none", kid: keyFor(alg).kid, typ: "JWT" }),
    );
    expectInvalid(await verifyLicenseToken(`${noneWithKid}.${payload}.${signature}`, { jwks }));
  });
});

describe("tokens that are not licenses of this service", () => {
  it("refuses algorithms outside the allow-list, such as HMAC", async () => {
    const secret = await generateSecret("HS256");
    const token = await new SignJWT(claims())
      .setProtectedHeader({ alg: "HS256", kid: keyFor("EdDSA").kid, typ: "JWT" })
      .sign(secret);
    expectInvalid(await verifyLicenseToken(token, { jwks }));
  });

  it("refuses a header naming another algorithm than the key's", async () => {
    const token = await sign(claims(), keyFor("ES256"));
    const [, payload, signature] = token.split(".");
    const header = base64url.encode(
      JSON.stringify({ alg: "RS256", kid: keyFor("ES256").kid, typ: "JWT" }),
    );
    expectInvalid(await verifyLicenseToken(`${header}.${payload}.${signature}`, { jwks }));
  });

  it("refuses another typ", async () => {
    const token = await sign(claims(), keyFor("EdDSA"), { typ: "at+jwt" });
    expectInvalid(await verifyLicenseToken(token, { jwks }));
  });

  it("refuses a signed token without license claims", async () => {
    const key = keyFor("ES256");
    const { lic: _lic, ...withoutLic } = claims();
    expectInvalid(await verifyLicenseToken(await sign(withoutLic, key), { jwks }));
    const badModules = await sign({ ...claims(), modules: "core" }, key);
    expectInvalid(await verifyLicenseToken(badModules, { jwks }));
    const { jti: _jti, ...withoutId } = claims();
    expectInvalid(await verifyLicenseToken(await sign(withoutId, key), { jwks }));
    const badDate = await sign({ ...claims(), lic: { version: 2, issued_at: "x" } }, key);
    expectInvalid(await verifyLicenseToken(badDate, { jwks }));
  });

  it("refuses another issuer when one is required", async () => {
    const token = await sign(claims(), keyFor("PS256"));
    expect((await verifyLicenseToken(token, { jwks, issuer: ISSUER })).code).toBe("VALID");
    expectInvalid(await verifyLicenseToken(token, { jwks, issuer: "someone-else" }));
  });

  it.each([
    ["an empty string", ""],
    ["three dots of nothing", ".."],
    ["a word", "license"],
    ["base64url garbage", "a.b.c"],
    ["a license object's signature", "vault:v1:AAAA"],
  ])("refuses %s without throwing", async (_, token) => {
    expectInvalid(await verifyLicenseToken(token, { jwks }));
  });

  it("refuses a value that is not a string without throwing", async () => {
    const notAString = { license_id: LICENSE_ID } as unknown as string;
    expectInvalid(await verifyLicenseToken(notAString, { jwks }));
  });

  it("checks against the time given", async () => {
    const exp = nowSeconds() - 86_400;
    const token = await sign(claims({ exp }), keyFor("RS256"));
    expect((await verifyLicenseToken(token, { jwks })).code).toBe("EXPIRED");
    const then = new Date((exp - 3_600) * 1_000);
    expect((await verifyLicenseToken(token, { jwks, now: then })).code).toBe("VALID");
    expect((await verifyLicenseToken(token, { jwks, now: then.getTime() })).code).toBe("VALID");
  });
});

describe("options", () => {
  it.each([
    ["a negative clock tolerance", { clockToleranceSeconds: -1 }],
    ["a clock tolerance that is not a number", { clockToleranceSeconds: Number.NaN }],
    ["an empty module", { module: "" }],
    ["an invalid now", { now: Number.NaN }],
  ])("throw TypeError for %s", async (_, options) => {
    const token = await sign(claims(), keyFor("EdDSA"));
    await expect(verifyLicenseToken(token, { jwks, ...options })).rejects.toThrow(TypeError);
  });

  it.each([
    ["a set without keys", {}],
    ["a URL that is not http", "file:///etc/jwks.json"],
    ["text that is not a URL", "jwks.json"],
  ])("throw TypeError for jwks as %s", async (_, value) => {
    const token = await sign(claims(), keyFor("EdDSA"));
    const options = { jwks: value as JSONWebKeySet };
    await expect(verifyLicenseToken(token, options)).rejects.toThrow(TypeError);
  });
});

describe("a key set served over HTTP", () => {
  async function remoteToken(kid?: string): Promise<string> {
    const jwk = env.TEST_JWT_PRIVATE_JWK;
    const privateKey = await importJWK(jwk, "RS256");
    return await new SignJWT(claims())
      .setProtectedHeader({ alg: "RS256", kid: kid ?? String(jwk.kid), typ: "JWT" })
      .sign(privateKey);
  }

  async function fetchCount(target: string): Promise<number> {
    const response = await fetch(`${env.TEST_KEY_ORIGIN}/count`);
    const counts = (await response.json()) as Record<string, number>;
    return counts[target] ?? 0;
  }

  it("verifies against the URL, fetching the set once", async () => {
    const query = `?sdk=${crypto.randomUUID()}`;
    const url = `${env.TEST_JWKS_URL}${query}`;
    const token = await remoteToken();
    expect((await verifyLicenseToken(token, { jwks: url })).code).toBe("VALID");
    expect((await verifyLicenseToken(token, { jwks: new URL(url) })).code).toBe("VALID");
    expect(await fetchCount(`/jwks.json${query}`)).toBe(1);
  });

  it("refuses a kid the set does not have", async () => {
    const token = await remoteToken("nobody");
    expectInvalid(await verifyLicenseToken(token, { jwks: env.TEST_JWKS_URL }));
  });

  it("throws LicenseKeySetError when the set cannot be fetched", async () => {
    const token = await remoteToken();
    const missing = `${env.TEST_KEY_ORIGIN}/missing-${crypto.randomUUID()}.json`;
    await expect(verifyLicenseToken(token, { jwks: missing })).rejects.toThrow(LicenseKeySetError);
  });
});
