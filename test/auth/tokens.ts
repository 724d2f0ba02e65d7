import { env } from "cloudflare:test";
import { base64url, type JWK, type JWTPayload, SignJWT } from "jose";
import { expect } from "vitest";
import { type ApiResponse, expectError } from "../helpers.ts";

/** JWT and Access settings as the Worker reads them; not every one is in the generated Env. */
export type AuthSettings = Partial<
  Record<
    | "JWT_SECRET"
    | "JWT_JWKS_URL"
    | "JWT_ISSUER"
    | "JWT_AUDIENCE"
    | "JWT_ALGORITHMS"
    | "JWT_ROLE_CLAIM"
    | "JWT_TENANT_CLAIM"
    | "ACCESS_TEAM_DOMAIN"
    | "ACCESS_AUD"
    | "ACCESS_ROLE"
    | "ACCESS_TENANT",
    string
  >
>;

export function settings(values: AuthSettings): Partial<Env> {
  return values as Partial<Env>;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Claims with `undefined` members dropped, so a test can leave out a default claim. */
export type Claims = Record<string, unknown>;

/** Signs `claims` as a compact JWS with `alg` and the key (a JWK or an HMAC secret). */
export async function sign(
  claims: Claims,
  alg: string,
  key: JWK | Uint8Array,
  header: { kid?: string } = {},
): Promise<string> {
  const payload: JWTPayload = Object.fromEntries(
    Object.entries(claims).filter(([, value]) => value !== undefined),
  );
  const kid = header.kid ?? (key instanceof Uint8Array ? undefined : key.kid);
  return await new SignJWT(payload)
    .setProtectedHeader({ alg, typ: "JWT", ...(kid === undefined ? {} : { kid }) })
    .sign(key);
}

/** A token with `alg: none` and no signature, built by hand since no library signs one. */
export function unsignedToken(claims: Claims): string {
  const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
  return `${encode({ alg: "none", typ: "JWT" })}.${encode(claims)}.`;
}

/** Asserts a 401 as a client sees it: the envelope and the RFC 6750 challenge with `reason`. */
export function expectRefused(response: ApiResponse<unknown>, reason: string): void {
  expectError(response, 401, "UNAUTHORIZED");
  expect(response.headers.get("WWW-Authenticate")).toBe(
    `Bearer realm="license-authority", error="invalid_token", error_description="${reason}"`,
  );
}

/** How often the key server was asked for each path (with its query). */
export async function keyServerCounts(): Promise<Record<string, number>> {
  const response = await fetch(`${env.TEST_KEY_ORIGIN}/count`);
  expect(response.ok).toBe(true);
  return await response.json();
}

/**
 * Makes sure a tenant exists where the service keeps tenants in D1, so a token may act for it;
 * without a tenants table, any tenant id is accepted as is.
 */
export async function ensureTenant(tenantId: string): Promise<void> {
  const table = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'tenants'",
  ).first();
  if (table) {
    await env.DB.prepare(
      `INSERT INTO tenants (tenant_id, name, created_at) VALUES (?1, ?1, ?2)
       ON CONFLICT (tenant_id) DO NOTHING`,
    )
      .bind(tenantId, new Date().toISOString())
      .run();
  }
}
