import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { LicenseDoc } from "../helpers.ts";
import { call, daysFromNow, expectError, expectStatus, issue } from "../helpers.ts";

async function licensesOf(customer: string): Promise<number> {
  const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM licenses WHERE customer = ?")
    .bind(customer)
    .first<{ n: number }>();
  return row?.n ?? -1;
}

function issueWithKey(key: string, body: Record<string, unknown>) {
  return call<{ license: LicenseDoc }>("POST", "/license/issue", {
    body,
    headers: { "Idempotency-Key": key },
  });
}

describe("Idempotency-Key", () => {
  it("answers a retry with the first response, without signing again", async () => {
    const customer = `idem-${crypto.randomUUID()}`;
    const body = { customer, modules: ["core"], expires_at: daysFromNow(10) };
    const key = crypto.randomUUID();

    const first = await issueWithKey(key, body);
    expectStatus(first, 201);
    const retry = await issueWithKey(key, {
      expires_at: body.expires_at,
      modules: ["core"],
      customer,
    });
    expectStatus(retry, 201);
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
    expect(retry.body).toEqual(first.body);
    expect(await licensesOf(customer)).toBe(1);
  });

  it("refuses the same key with a different body with 422", async () => {
    const customer = `idem-${crypto.randomUUID()}`;
    const key = crypto.randomUUID();
    expectStatus(
      await issueWithKey(key, { customer, modules: [], expires_at: daysFromNow(5) }),
      201,
    );
    const other = await issueWithKey(key, {
      customer,
      modules: ["more"],
      expires_at: daysFromNow(5),
    });
    expectError(other, 422, "IDEMPOTENCY_MISMATCH");
    expect(await licensesOf(customer)).toBe(1);
  });

  it("produces exactly one license from concurrent retries", async () => {
    const customer = `idem-${crypto.randomUUID()}`;
    const body = { customer, modules: [], expires_at: daysFromNow(5) };
    const key = crypto.randomUUID();
    const attempts = await Promise.all(Array.from({ length: 8 }, () => issueWithKey(key, body)));

    const ok = attempts.filter((a) => a.status === 201);
    const busy = attempts.filter((a) => a.status === 409);
    expect(ok.length + busy.length, JSON.stringify(attempts.map((a) => a.status))).toBe(8);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(new Set(ok.map((a) => a.body.license.license_id)).size).toBe(1);
    for (const attempt of busy) {
      expect(attempt.body).toMatchObject({ code: "CONFLICT" });
      expect(attempt.headers.get("Retry-After")).toBe("1");
    }
    expect(await licensesOf(customer)).toBe(1);

    const later = await issueWithKey(key, body);
    expect(later.body.license.license_id).toBe(ok[0]?.body.license.license_id);
  });

  it("lets a failed request be retried with its key", async () => {
    const customer = `idem-${crypto.randomUUID()}`;
    const key = crypto.randomUUID();
    const body = { customer, modules: [], expires_at: daysFromNow(5) };
    const down = await call("POST", "/license/issue", {
      body,
      headers: { "Idempotency-Key": key },
      env: { VAULT_ADDR: "http://127.0.0.1:9" },
    });
    expectError(down, 503, "VAULT_ERROR");
    expectStatus(await issueWithKey(key, body), 201);
    expect(await licensesOf(customer)).toBe(1);
  });

  it("replays renewals and batches too", async () => {
    const license = await issue();
    const renewKey = crypto.randomUUID();
    const renewBody = { license_id: license.license_id, new_expires_at: daysFromNow(50) };
    const headers = { "Idempotency-Key": renewKey };
    const renewed = await call("POST", "/license/renew", { body: renewBody, headers });
    expectStatus(renewed, 201);
    const again = await call("POST", "/license/renew", { body: renewBody, headers });
    expectStatus(again, 201);
    expect(again.body).toEqual(renewed.body);

    const customer = `idem-batch-${crypto.randomUUID()}`;
    const batch = { licenses: [{ customer, modules: [], expires_at: daysFromNow(5) }] };
    const batchHeaders = { "Idempotency-Key": crypto.randomUUID() };
    expectStatus(
      await call("POST", "/license/batch/issue", { body: batch, headers: batchHeaders }),
      201,
    );
    expectStatus(
      await call("POST", "/license/batch/issue", { body: batch, headers: batchHeaders }),
      201,
    );
    expect(await licensesOf(customer)).toBe(1);
  });

  it("keeps keys apart per tenant and expires them", async () => {
    const key = crypto.randomUUID();
    const customer = `idem-${crypto.randomUUID()}`;
    const body = { customer, modules: [], expires_at: daysFromNow(5) };
    const short = { IDEMPOTENCY_TTL_HOURS: "1" } as Partial<Env>;
    expectStatus(
      await call("POST", "/license/issue", {
        body,
        headers: { "Idempotency-Key": key },
        env: short,
      }),
      201,
    );
    // Age the record past its expiry: the key then starts afresh.
    await env.DB.prepare(
      `UPDATE idempotency_keys SET expires_at = '2000-01-01T00:00:00.000Z'
       WHERE idempotency_key = ?`,
    )
      .bind(key)
      .run();
    const fresh = await call("POST", "/license/issue", {
      body,
      headers: { "Idempotency-Key": key },
    });
    expectStatus(fresh, 201);
    expect(fresh.headers.get("Idempotent-Replayed")).toBeNull();
    expect(await licensesOf(customer)).toBe(2);
  });

  it("replays a batch that stored nothing, recorded on its own", async () => {
    const headers = { "Idempotency-Key": crypto.randomUUID() };
    const body = { licenses: [{ customer: "", modules: [], expires_at: daysFromNow(5) }] };
    const first = await call("POST", "/license/batch/issue", { body, headers });
    expectStatus(first, 200);
    const again = await call("POST", "/license/batch/issue", { body, headers });
    expectStatus(again, 200);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
  });

  it("refuses a malformed key", async () => {
    const response = await call("POST", "/license/issue", {
      body: { customer: "x", modules: [], expires_at: daysFromNow(5) },
      headers: { "Idempotency-Key": "has spaces in it" },
    });
    expectError(response, 400, "INVALID_LICENSE");
  });
});
