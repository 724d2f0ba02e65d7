import { describe, expect, it } from "vitest";
import { ADMIN_KEY, call, daysFromNow, expectError, expectStatus, issue } from "../helpers.ts";

const LICENSE_ID = "lic_zzzzzzzzzzzzzzzzzzzzzzzzzz";

/** Every route that needs an API key, with a body that would otherwise be accepted. */
const PROTECTED: [string, string, unknown][] = [
  ["POST", "/license/issue", { customer: "a", modules: [], expires_at: daysFromNow(5) }],
  [
    "POST",
    "/license/batch/issue",
    { licenses: [{ customer: "a", modules: [], expires_at: daysFromNow(5) }] },
  ],
  ["POST", "/license/renew", { license_id: LICENSE_ID, new_expires_at: daysFromNow(5) }],
  ["POST", "/license/revoke", { license_id: LICENSE_ID, reason: "x" }],
  ["POST", "/license/suspend", { license_id: LICENSE_ID }],
  ["POST", "/license/reinstate", { license_id: LICENSE_ID }],
  ["GET", "/license/list", undefined],
  ["GET", `/license/${LICENSE_ID}`, undefined],
];

describe("authentication", () => {
  it.each(PROTECTED)("%s %s needs an API key", async (method, path, body) => {
    const response = await call(method, path, { body, key: null });
    expectError(response, 401, "UNAUTHORIZED");
    expect(response.headers.get("WWW-Authenticate")).toMatch(/^Bearer/);
  });

  it.each(PROTECTED)("%s %s refuses a wrong API key", async (method, path, body) => {
    const response = await call(method, path, { body, key: "not-a-key-of-this-service" });
    expectError(response, 401, "UNAUTHORIZED");
  });

  it("accepts the key in X-API-Key as well as in Authorization", async () => {
    const response = await call("GET", "/license/list", {
      key: null,
      headers: { "X-API-Key": ADMIN_KEY },
    });
    expectStatus(response, 200);
  });

  it("lets applications validate without a key, unless configured otherwise", async () => {
    const license = await issue();
    expectStatus(await call("POST", "/license/validate", { body: { license }, key: null }), 200);
    const closed = await call("POST", "/license/validate", {
      body: { license },
      key: null,
      env: { VALIDATION_REQUIRES_API_KEY: "true" } as Partial<Env>,
    });
    expectError(closed, 401, "UNAUTHORIZED");
    const withKey = await call("POST", "/license/validate", {
      body: { license },
      env: { VALIDATION_REQUIRES_API_KEY: "true" } as Partial<Env>,
    });
    expectStatus(withKey, 200);
  });
});

describe("bad input", () => {
  const valid = { customer: "acme", modules: ["core"], expires_at: daysFromNow(5) };
  const issueCases: [string, unknown][] = [
    ["no body fields", {}],
    ["no customer", { ...valid, customer: undefined }],
    ["blank customer", { ...valid, customer: "   " }],
    ["modules not a list", { ...valid, modules: "core" }],
    ["repeated module", { ...valid, modules: ["core", "core"] }],
    ["module with spaces", { ...valid, modules: ["the core"] }],
    ["impossible date", { ...valid, expires_at: "2031-02-30" }],
    ["free-text date", { ...valid, expires_at: "next year" }],
    ["expiry in the past", { ...valid, expires_at: "2001-01-01" }],
    ["not_before after expiry", { ...valid, not_before: daysFromNow(10) }],
    ["metadata not an object", { ...valid, metadata: [1, 2] }],
    ["unknown field", { ...valid, admin: true }],
    ["a JSON array", [valid]],
  ];

  it.each(issueCases)("issue refuses %s with INVALID_LICENSE", async (_name, body) => {
    const response = await call("POST", "/license/issue", { body });
    expectError(response, 400, "INVALID_LICENSE");
  });

  it("refuses malformed JSON with the envelope", async () => {
    const response = await call("POST", "/license/issue", { body: "{not json" });
    expectError(response, 400, "INVALID_LICENSE");
  });

  it.each([
    ["/license/renew", { new_expires_at: daysFromNow(5) }],
    ["/license/renew", { license_id: LICENSE_ID, license: {}, new_expires_at: daysFromNow(5) }],
    ["/license/renew", { license_id: LICENSE_ID, new_expires_at: "soon" }],
    ["/license/revoke", { license_id: LICENSE_ID }],
    ["/license/revoke", { license_id: "123", reason: "x" }],
    ["/license/revoke", { license_id: LICENSE_ID, reason: "x", effective_date: "later" }],
    ["/license/suspend", { license_id: 42 }],
    ["/license/reinstate", {}],
    ["/license/batch/issue", { licenses: [] }],
    ["/license/batch/issue", { licenses: "all" }],
  ])("%s refuses %j", async (path, body) => {
    expectError(await call("POST", path, { body }), 400, "INVALID_LICENSE");
  });

  it("answers unknown routes with the envelope", async () => {
    expectError(await call("GET", "/nowhere"), 404, "NOT_FOUND");
    expectError(await call("DELETE", "/license/issue"), 404, "NOT_FOUND");
  });
});

describe("every response", () => {
  it("carries a request id, echoed in error bodies, and security headers", async () => {
    const response = await call("GET", "/license/list", { key: null });
    const id = response.headers.get("X-Request-Id");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.body.request_id).toBe(id);
    expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
  });

  it("keeps a caller's well-formed request id", async () => {
    const response = await call("GET", "/health", {
      key: null,
      headers: { "X-Request-Id": "trace-12345678" },
    });
    expect(response.headers.get("X-Request-Id")).toBe("trace-12345678");
  });

  it("reports a misconfiguration clearly, without secrets", async () => {
    const response = await call("GET", "/health", {
      key: null,
      env: { VAULT_ADDR: "not a url", VAULT_TOKEN: "" },
    });
    expectError(response, 500, "INTERNAL");
    const details = JSON.stringify(response.body.details);
    expect(details).toContain("VAULT_ADDR");
    expect(details).toContain("VAULT_TOKEN");
    expect(JSON.stringify(response.body)).not.toContain("stack");
  });
});

describe("batch issue", () => {
  it("issues valid items in one go and reports invalid ones, storing only the valid", async () => {
    const customer = `batch-${crypto.randomUUID()}`;
    const response = await call<{
      issued: number;
      failed: number;
      results: {
        index: number;
        success: boolean;
        code?: string;
        license?: { license_id: string };
      }[];
    }>("POST", "/license/batch/issue", {
      body: {
        licenses: [
          { customer, modules: ["a"], expires_at: daysFromNow(5) },
          { customer, modules: "broken", expires_at: daysFromNow(5) },
          { customer, modules: ["b"], expires_at: daysFromNow(6) },
        ],
      },
    });
    expectStatus(response, 201);
    expect(response.body).toMatchObject({ issued: 2, failed: 1 });
    expect(response.body.results.map((r) => [r.index, r.success])).toEqual([
      [0, true],
      [1, false],
      [2, true],
    ]);
    expect(response.body.results[1]?.code).toBe("INVALID_LICENSE");

    const listed = await call<{ licenses: unknown[] }>("GET", `/license/list?customer=${customer}`);
    expect(listed.body.licenses).toHaveLength(2);
    for (const result of response.body.results.filter((r) => r.success)) {
      const validation = await call("POST", "/license/validate", {
        body: { license: result.license },
        key: null,
      });
      expect(validation.body).toMatchObject({ code: "VALID" });
    }
  });

  it("refuses a batch over the maximum before signing anything", async () => {
    const licenses = Array.from({ length: 101 }, () => ({
      customer: "a",
      modules: [],
      expires_at: daysFromNow(5),
    }));
    const response = await call("POST", "/license/batch/issue", { body: { licenses } });
    expectError(response, 400, "INVALID_LICENSE");
  });
});

describe("documents", () => {
  it("serves an OpenAPI 3.1 document built from the request schemas", async () => {
    const response = await call<{
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
      components: { schemas: Record<string, unknown> };
    }>("GET", "/openapi.json", { key: null });
    expectStatus(response, 200);
    expect(response.body.openapi).toBe("3.1.0");
    expect(Object.keys(response.body.paths)).toEqual(
      expect.arrayContaining(["/license/issue", "/license/validate", "/license/{id}", "/health"]),
    );
    expect(response.body.components.schemas).toHaveProperty("IssueRequest");
    expect(JSON.stringify(response.body.paths["/license/issue"])).toContain(
      "#/components/schemas/IssueRequest",
    );
  });

  it("reports health with Vault's state and the API version", async () => {
    const response = await call("GET", "/health", { key: null });
    expectStatus(response, 200);
    expect(response.body).toMatchObject({
      status: "ok",
      can_issue: true,
      vault: { reachable: true, initialized: true, sealed: false, standby: false },
      api_version: "1",
      uptime_seconds: expect.any(Number),
    });
  });
});
