import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../../src/auth/api-keys.ts";
import { sign, unsignedToken } from "../auth/tokens.ts";
import type { LicenseDoc } from "../helpers.ts";
import { ADMIN_KEY, call, daysFromNow, issue } from "../helpers.ts";

const SECRET = "matrix-jwt-secret-0123456789abcdef0123456789";
const AUDIENCE = "matrix-audience";
const SETTINGS = {
  JWT_SECRET: SECRET,
  JWT_AUDIENCE: AUDIENCE,
  RATE_LIMIT_ISSUE: "100000",
  RATE_LIMIT_READ: "100000",
  RATE_LIMIT_VALIDATE: "100000",
  RATE_LIMIT_CREDENTIALS: "100000",
} as Partial<Env>;

type Cell =
  | "none"
  | "malformed"
  | "revoked"
  | "expired"
  | "wrongRole"
  | "otherTenant"
  | "expiredJwt"
  | "algNone"
  | "wrongAudience";

const CELLS: Cell[] = [
  "none",
  "malformed",
  "revoked",
  "expired",
  "wrongRole",
  "otherTenant",
  "expiredJwt",
  "algNone",
  "wrongAudience",
];

interface Route {
  method: string;
  path: (license: LicenseDoc) => string;
  body?: (license: LicenseDoc) => unknown;
  /** Expected status per cell; a cell left out expects 401. */
  expect: Partial<Record<Cell, number>>;
}

const refusedEverywhere = { wrongRole: 403 };
const ROUTES: Route[] = [
  {
    method: "POST",
    path: () => "/license/issue",
    body: () => ({ customer: "matrix", modules: [], expires_at: daysFromNow(3) }),
    // Another tenant's admin issues in its own tenant.
    expect: { ...refusedEverywhere, otherTenant: 201 },
  },
  {
    method: "POST",
    path: () => "/license/batch/issue",
    body: () => ({ licenses: [{ customer: "matrix", modules: [], expires_at: daysFromNow(3) }] }),
    expect: { ...refusedEverywhere, otherTenant: 201 },
  },
  {
    method: "POST",
    path: () => "/license/validate",
    body: (license) => ({ license }),
    // Open to applications; another tenant's key sees the license as unknown (200, NOT_FOUND).
    expect: { none: 200, wrongRole: 200, otherTenant: 200 },
  },
  {
    method: "POST",
    path: () => "/license/renew",
    body: (license) => ({ license_id: license.license_id, new_expires_at: daysFromNow(90) }),
    expect: { ...refusedEverywhere, otherTenant: 404 },
  },
  ...["revoke", "suspend", "reinstate"].map((action) => ({
    method: "POST",
    path: () => `/license/${action}`,
    body: (license: LicenseDoc) => ({ license_id: license.license_id, reason: "matrix" }),
    expect: { ...refusedEverywhere, otherTenant: 404 },
  })),
  {
    method: "GET",
    path: () => "/license/list",
    expect: { ...refusedEverywhere, otherTenant: 200 },
  },
  {
    method: "GET",
    path: (license) => `/license/${license.license_id}`,
    expect: { ...refusedEverywhere, otherTenant: 404 },
  },
  {
    method: "POST",
    path: () => "/credentials",
    body: () => ({ name: "matrix", role: "reader" }),
    expect: { ...refusedEverywhere, otherTenant: 201 },
  },
  { method: "GET", path: () => "/credentials", expect: { ...refusedEverywhere, otherTenant: 200 } },
  {
    method: "DELETE",
    path: () => "/credentials/key_AAAAAAAAAAAAAAAA",
    expect: { ...refusedEverywhere, otherTenant: 404 },
  },
  {
    method: "POST",
    path: () => "/tenants",
    body: () => ({ tenant_id: `m-${crypto.randomUUID().slice(0, 8)}`, name: "matrix" }),
    // Only operators create tenants: another tenant's admin is refused.
    expect: { ...refusedEverywhere, otherTenant: 403 },
  },
  { method: "GET", path: () => "/tenants", expect: { ...refusedEverywhere, otherTenant: 200 } },
];

async function apiKey(tenantId: string, role: string, fields: Record<string, string> = {}) {
  const secret = `matrix-${crypto.randomUUID()}`;
  await env.DB.prepare(
    `INSERT INTO api_keys (key_id, tenant_id, name, role, key_hash, created_at, expires_at,
       revoked_at)
     VALUES (?1, ?2, 'matrix', ?3, ?4, ?5, ?6, ?7)`,
  )
    .bind(
      `key_${crypto.randomUUID()}`,
      tenantId,
      role,
      await hashApiKey(secret),
      new Date().toISOString(),
      fields.expires_at ?? null,
      fields.revoked_at ?? null,
    )
    .run();
  return secret;
}

const credentials = {} as Record<Cell, Record<string, string>>;
let license: LicenseDoc;

beforeAll(async () => {
  const otherTenant = `matrix-${crypto.randomUUID().slice(0, 8)}`;
  await env.DB.prepare("INSERT INTO tenants (tenant_id, name, created_at) VALUES (?1, 'm', ?2)")
    .bind(otherTenant, new Date().toISOString())
    .run();
  // The routes that need an admin are tried with a validator; the rest with their roles' lowest.
  const now = Math.floor(Date.now() / 1_000);
  const hmac = new TextEncoder().encode(SECRET);
  const jwt = { sub: "matrix", aud: AUDIENCE, role: "admin", iat: now };
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  credentials.none = {};
  credentials.malformed = { Authorization: "Basic bWF0cml4Om1hdHJpeA==" };
  credentials.revoked = bearer(
    await apiKey("default", "admin", { revoked_at: new Date().toISOString() }),
  );
  credentials.expired = bearer(
    await apiKey("default", "admin", { expires_at: "2001-01-01T00:00:00.000Z" }),
  );
  credentials.wrongRole = bearer(await apiKey("default", "validator"));
  credentials.otherTenant = bearer(await apiKey(otherTenant, "admin"));
  credentials.expiredJwt = bearer(await sign({ ...jwt, exp: now - 3_600 }, "HS256", hmac));
  credentials.algNone = bearer(unsignedToken({ ...jwt, exp: now + 300 }));
  credentials.wrongAudience = bearer(
    await sign({ ...jwt, aud: "someone-else", exp: now + 300 }, "HS256", hmac),
  );
  license = await issue({}, { key: ADMIN_KEY });
});

describe("authorization matrix", () => {
  const placeholder = { license_id: ":id" } as LicenseDoc;
  const cases = ROUTES.flatMap((route) =>
    CELLS.map(
      (cell) =>
        [
          `${route.method} ${route.path(placeholder)}`,
          cell,
          route.expect[cell] ?? 401,
          route,
        ] as const,
    ),
  );

  it.each(cases)("%s with %s credentials answers %i", async (_name, cell, status, route) => {
    const response = await call(route.method, route.path(license), {
      body: route.body?.(license),
      key: null,
      headers: credentials[cell],
      env: SETTINGS,
    });
    expect(response.status, JSON.stringify(response.body)).toBe(status);
    if (status === 401) {
      expect(response.headers.get("WWW-Authenticate")).toMatch(/^Bearer realm=/);
      expect(response.body).toMatchObject({ code: "UNAUTHORIZED" });
    }
    if (status === 403) {
      expect(response.body).toMatchObject({ code: "FORBIDDEN" });
    }
    if (route.path(license) === "/license/validate" && cell === "otherTenant") {
      expect(response.body).toMatchObject({ valid: false, code: "NOT_FOUND" });
    }
  });
});
