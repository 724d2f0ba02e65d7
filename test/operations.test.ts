import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  call,
  devControl,
  expectError,
  expectStatus,
  failureVault,
  issue,
  validate,
} from "./helpers.ts";

function metricValue(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.split(" ").at(-1)) : 0;
}

async function metrics(): Promise<string> {
  const response = await call("GET", "/metrics");
  expectStatus(response, 200);
  expect(response.headers.get("Content-Type")).toContain("text/plain");
  return String((response.body as { unparsed: string }).unparsed);
}

describe("GET /metrics", () => {
  it("counts issued licenses, validations by code and latencies, in Prometheus text", async () => {
    const before = await metrics();
    const license = await issue();
    await validate(license);
    await validate({ ...license, customer: "tampered" });
    const after = await metrics();

    const issued = 'license_authority_licenses_issued_total{tenant="default"}';
    expect(metricValue(after, issued)).toBe(metricValue(before, issued) + 1);
    const valid = 'license_authority_validations_total{code="VALID",tenant="default"}';
    expect(metricValue(after, valid)).toBeGreaterThanOrEqual(metricValue(before, valid) + 1);
    const invalid =
      'license_authority_validations_total{code="INVALID_SIGNATURE",tenant="default"}';
    expect(metricValue(after, invalid)).toBeGreaterThanOrEqual(metricValue(before, invalid) + 1);
    expect(after).toContain("# TYPE license_authority_validation_duration_ms histogram");
    expect(after).toMatch(/license_authority_validation_duration_ms_bucket\{le="\+Inf"\} \d+/);
    expect(metricValue(after, "license_authority_signing_duration_ms_count")).toBeGreaterThan(0);
  });

  it("does not write to storage for each validation", async () => {
    const license = await issue();
    await metrics();
    const store = env.METRICS_STORE.getByName("totals");
    const before = JSON.stringify(await store.totals());
    for (let i = 0; i < 10; i += 1) {
      await validate(license);
    }
    // Counted in the isolate, not yet written: the store has not moved.
    expect(JSON.stringify(await store.totals())).toBe(before);
    const text = await metrics();
    expect(JSON.stringify(await store.totals())).not.toBe(before);
    expect(text).toContain("validations_total");
  });

  it("is for admins only", async () => {
    const reader = await call<{ secret: string }>("POST", "/credentials", {
      body: { name: "m", role: "reader" },
    });
    expectError(await call("GET", "/metrics", { key: reader.body.secret }), 403, "FORBIDDEN");
    expectError(await call("GET", "/metrics", { key: null }), 401, "UNAUTHORIZED");
  });
});

describe("GET /health/detailed", () => {
  it("reports each dependency with a status and latency", async () => {
    await issue();
    const response = await call("GET", "/health/detailed");
    expectStatus(response, 200);
    expect(response.body).toMatchObject({
      can_issue: true,
      vault: { status: "ok", sealed: false, latency_ms: expect.any(Number) },
      database: { status: "ok", latency_ms: expect.any(Number) },
      keys: { status: "ok", cached_versions: expect.arrayContaining([1]) },
      events: { status: expect.any(String), undelivered: expect.any(Number), unsealed: 0 },
    });
  });

  it("answers 503 when Vault is sealed", async () => {
    await devControl("seal");
    try {
      const response = await call("GET", "/health/detailed", { env: failureVault() });
      expectStatus(response, 503);
      expect(response.body).toMatchObject({
        can_issue: false,
        vault: { status: "down", sealed: true },
      });
    } finally {
      await devControl("unseal");
    }
  });
});
