import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ERROR_STATUS } from "../../src/errors.ts";
import { ADMIN_KEY, call, daysFromNow, issue } from "../helpers.ts";

// Generous limits, so that the fuzzer explores the routes rather than the rate limiter.
const settings = {
  RATE_LIMIT_ISSUE: "1000000",
  RATE_LIMIT_READ: "1000000",
  RATE_LIMIT_VALIDATE: "1000000",
  RATE_LIMIT_CREDENTIALS: "1000000",
} as Partial<Env>;

const ROUTES = [
  "/health",
  "/openapi.json",
  "/license/issue",
  "/license/batch/issue",
  "/license/validate",
  "/license/renew",
  "/license/revoke",
  "/license/suspend",
  "/license/reinstate",
  "/license/list",
  "/license/lic_zzzzzzzzzzzzzzzzzzzzzzzzzz",
  "/credentials",
  "/credentials/key_AAAAAAAAAAAAAAAA",
  "/tenants",
];

/** Values that sit near what the API accepts: right names, wrong or odd values. */
const nearValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom("", " ", "2027-12-31", "2001-01-01", "2031-02-30", "lic_", "admin", "core"),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 10 }), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
);
const FIELDS = [
  "customer",
  "modules",
  "expires_at",
  "metadata",
  "not_before",
  "license",
  "license_id",
  "module",
  "new_expires_at",
  "extend_modules",
  "metadata_updates",
  "reason",
  "effective_date",
  "licenses",
  "name",
  "role",
  "tenant_id",
  "transit_key",
];
const nearBody = fc.dictionary(fc.constantFrom(...FIELDS), nearValue, { maxKeys: 6 });

const body = fc.oneof(
  nearBody.map((b) => JSON.stringify(b)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc.constantFrom("", "{", "[]", "null", '{"licenses":[{}]}', "\u0000"),
);

const request = fc.record({
  method: fc.constantFrom("GET", "POST", "DELETE", "PUT", "PATCH"),
  path: fc.oneof(
    fc.constantFrom(...ROUTES),
    fc
      .tuple(fc.constantFrom(...ROUTES), fc.string({ maxLength: 20 }))
      .map(([p, s]) => `${p}/${encodeURIComponent(s)}`),
  ),
  query: fc.dictionary(
    fc.constantFrom("customer", "status", "page", "limit", "cursor", "tenant_id", "x"),
    fc.string({ maxLength: 20 }),
    { maxKeys: 3 },
  ),
  body: fc.option(body, { nil: undefined }),
  contentType: fc.constantFrom("application/json", "text/plain", "application/json; charset=utf-8"),
  key: fc.constantFrom<string | null>(ADMIN_KEY, null, "garbage", "eyJhbGciOiJub25lIn0.e30."),
  idempotencyKey: fc.option(fc.string({ maxLength: 300 }), { nil: undefined }),
});

describe("random and malformed requests", () => {
  it("never get a 5xx or an answer outside the envelope", async () => {
    await issue();
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async (generated) => {
        // Fetch cannot send a GET with a body at all.
        const r = generated.method === "GET" ? { ...generated, body: undefined } : generated;
        const query = new URLSearchParams(r.query).toString();
        const headers: Record<string, string> = {};
        if (r.body !== undefined) {
          headers["Content-Type"] = r.contentType;
        }
        if (r.idempotencyKey !== undefined) {
          headers["Idempotency-Key"] = r.idempotencyKey.replace(/[\r\n]/g, "");
        }
        const response = await call(r.method, `${r.path}${query ? `?${query}` : ""}`, {
          ...(r.body === undefined ? {} : { body: r.body }),
          key: r.key,
          headers,
          env: settings,
          rawContentType: true,
        });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);

        const answer = JSON.stringify(response.body);
        const detail = `${r.method} ${r.path} -> ${response.status} ${answer}`;
        expect(response.status, detail).toBeLessThan(500);
        expect(response.headers.get("X-Request-Id"), detail).toBeTruthy();
        if (response.status >= 400) {
          const envelope = response.body as Record<string, unknown>;
          expect(Object.keys(envelope).sort(), detail).toEqual([
            "code",
            "details",
            "error",
            "request_id",
            "timestamp",
          ]);
          const code = String(envelope.code) as keyof typeof ERROR_STATUS;
          expect(ERROR_STATUS[code], detail).toBe(response.status);
        }
      }),
      { numRuns: 2_000 },
    );
    // The fuzzer must have reached past validation too, not only bounced off it.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
    expect(statuses.get(401) ?? 0).toBeGreaterThan(0);
  }, 300_000);

  it("keeps valid requests working among them", async () => {
    const license = await issue({ expires_at: daysFromNow(9) });
    const response = await call("POST", "/license/validate", { body: { license }, key: null });
    expect(response.body).toMatchObject({ code: "VALID" });
  });
});
