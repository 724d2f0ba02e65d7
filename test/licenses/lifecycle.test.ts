import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { LicenseDoc } from "../helpers.ts";
import { call, daysFromNow, expectError, expectStatus, issue, validate } from "../helpers.ts";

describe("issuing", () => {
  it("returns a signed license with every field clients use", async () => {
    const license = await issue({ modules: ["core"], metadata: { seats: 3 } });

    expect(license).toMatchObject({
      license_id: expect.stringMatching(/^lic_[0-9a-z]{26}$/),
      modules: ["core"],
      metadata: { seats: 3 },
      issuer: "edge-license-authority",
      version: 2,
      key_version: expect.any(Number),
      signature: expect.stringMatching(/^vault:v\d+:/),
    });
    expect(Date.parse(String(license.issued_at))).toBeLessThanOrEqual(Date.now());
    expect(license).not.toHaveProperty("renewed_from");
  });

  it("reads a bare expiry date as the end of that day, UTC", async () => {
    const license = await issue({ expires_at: "2099-12-31" });
    expect(license.expires_at).toBe("2099-12-31T23:59:59.999Z");
  });

  it("gives every license a different, unguessable id", async () => {
    const ids = await Promise.all(
      Array.from({ length: 10 }, async () => (await issue()).license_id),
    );
    expect(new Set(ids).size).toBe(10);
  });

  it("stores the license so that it validates", async () => {
    const license = await issue();
    const response = await validate(license);
    expectStatus(response, 200);
    expect(response.body).toMatchObject({
      valid: true,
      code: "VALID",
      signature_valid: true,
      expired: false,
      days_until_expiry: 30,
    });
    expect(response.body.license).toMatchObject({ license_id: license.license_id });
    expect(response.body.license).not.toHaveProperty("signature");
  });
});

describe("validation", () => {
  const tamperings: [string, (l: LicenseDoc) => Record<string, unknown>][] = [
    ["customer", (l) => ({ ...l, customer: `${l.customer}x` })],
    ["modules", (l) => ({ ...l, modules: [...l.modules, "enterprise"] })],
    ["module order", (l) => ({ ...l, modules: [...l.modules].reverse() })],
    ["expires_at", (l) => ({ ...l, expires_at: "2199-12-31T23:59:59.999Z" })],
    ["issued_at", (l) => ({ ...l, issued_at: "2020-01-01T00:00:00.000Z" })],
    ["metadata value", (l) => ({ ...l, metadata: { ...l.metadata, seats: 2500 } })],
    ["metadata key", (l) => ({ ...l, metadata: { ...l.metadata, unlimited: true } })],
    ["issuer", (l) => ({ ...l, issuer: "someone-else" })],
    ["version", (l) => ({ ...l, version: Number(l.version) + 1 })],
    ["license_id", (l) => ({ ...l, license_id: "lic_00000000000000000000000000" })],
    ["an added field", (l) => ({ ...l, not_before: "2020-01-01T00:00:00.000Z" })],
    ["an unknown added field", (l) => ({ ...l, trial: false })],
    ["a removed field", ({ metadata: _m, ...l }) => ({ ...l, metadata: {} })],
    ["key_version", (l) => ({ ...l, key_version: l.key_version + 1 })],
    ["signature", (l) => ({ ...l, signature: flipLastChar(l.signature) })],
    ["signature encoding", (l) => ({ ...l, signature: l.signature.replace(/:[^:]*$/, ":!!!") })],
  ];

  it.each(tamperings)("reports INVALID_SIGNATURE when %s is changed", async (_field, tamper) => {
    const license = await issue();
    const response = await validate(tamper(license));
    expectStatus(response, 200);
    expect(response.body).toMatchObject({
      valid: false,
      code: "INVALID_SIGNATURE",
      signature_valid: false,
      license: null,
    });
  });

  it("reports NOT_YET_VALID before not_before", async () => {
    const license = await issue({ not_before: daysFromNow(2) });
    const response = await validate(license);
    expect(response.body).toMatchObject({
      valid: false,
      code: "NOT_YET_VALID",
      signature_valid: true,
    });
  });

  it("reports MODULE_NOT_LICENSED only for a module the license lacks", async () => {
    const license = await issue({ modules: ["core"] });
    expect((await validate(license, "core")).body).toMatchObject({ valid: true, code: "VALID" });
    expect((await validate(license, "reports")).body).toMatchObject({
      valid: false,
      code: "MODULE_NOT_LICENSED",
    });
  });

  it("reports NOT_FOUND for a genuine license this service has no record of", async () => {
    const license = await issue();
    await env.DB.batch([
      env.DB.prepare("DELETE FROM license_events WHERE license_id = ?").bind(license.license_id),
      env.DB.prepare("DELETE FROM licenses WHERE license_id = ?").bind(license.license_id),
    ]);
    const response = await validate(license);
    expect(response.body).toMatchObject({ valid: false, code: "NOT_FOUND", signature_valid: true });
  });

  it("reports EXPIRED once expires_at has passed", async () => {
    const license = await issue({ expires_at: new Date(Date.now() + 1_500).toISOString() });
    expect((await validate(license)).body).toMatchObject({ code: "VALID" });
    await new Promise((resolve) => setTimeout(resolve, 1_600));

    const response = await validate(license);
    expect(response.body).toMatchObject({
      valid: false,
      code: "EXPIRED",
      signature_valid: true,
      expired: true,
      days_until_expiry: -1,
    });
  });

  it("answers malformed requests with INVALID_LICENSE and the problem", async () => {
    const license = await issue();
    const cases: unknown[] = [
      {},
      { license: "not an object" },
      { license: { ...license, modules: "core" } },
      { license: { ...license, expires_at: "tomorrow" } },
      { license, module: "" },
      { license, extra: true },
    ];
    for (const body of cases) {
      const response = await call("POST", "/license/validate", { body, key: null });
      expectError(response, 400, "INVALID_LICENSE");
      expect(response.body.details).toEqual(expect.any(Array));
    }
  });
});

describe("revocation", () => {
  it("makes a license REVOKED at once and records why", async () => {
    const license = await issue();
    const revoked = await call("POST", "/license/revoke", {
      body: { license_id: license.license_id, reason: "chargeback" },
    });
    expectStatus(revoked, 200);
    expect(revoked.body).toMatchObject({ status: "revoked", revocation_reason: "chargeback" });

    expect((await validate(license)).body).toMatchObject({ valid: false, code: "REVOKED" });
    const again = await call("POST", "/license/revoke", {
      body: { license_id: license.license_id, reason: "twice" },
    });
    expectError(again, 409, "CONFLICT");
  });

  it("schedules a revocation for a future effective_date", async () => {
    const license = await issue();
    const effective = daysFromNow(3);
    const scheduled = await call("POST", "/license/revoke", {
      body: { license_id: license.license_id, reason: "contract ends", effective_date: effective },
    });
    expectStatus(scheduled, 200);
    expect(scheduled.body).toMatchObject({
      status: "active",
      revoked_at: `${effective}T00:00:00.000Z`,
    });
    expect((await validate(license)).body).toMatchObject({ valid: true, code: "VALID" });

    // Bring it forward to now: the scheduled revocation is not final until it takes effect.
    const now = await call("POST", "/license/revoke", {
      body: { license_id: license.license_id, reason: "contract ended early" },
    });
    expectStatus(now, 200);
    expect((await validate(license)).body).toMatchObject({ code: "REVOKED" });
  });

  it("answers NOT_FOUND for an unknown license", async () => {
    const response = await call("POST", "/license/revoke", {
      body: { license_id: "lic_zzzzzzzzzzzzzzzzzzzzzzzzzz", reason: "x" },
    });
    expectError(response, 404, "NOT_FOUND");
  });
});

describe("suspension", () => {
  it("suspends and reinstates, and refuses both when they change nothing", async () => {
    const license = await issue();
    const id = license.license_id;

    expectStatus(
      await call("POST", "/license/suspend", { body: { license_id: id, reason: "unpaid" } }),
      200,
    );
    expect((await validate(license)).body).toMatchObject({ valid: false, code: "SUSPENDED" });
    expectError(
      await call("POST", "/license/suspend", { body: { license_id: id } }),
      409,
      "CONFLICT",
    );

    expectStatus(await call("POST", "/license/reinstate", { body: { license_id: id } }), 200);
    expect((await validate(license)).body).toMatchObject({ valid: true, code: "VALID" });
    expectError(
      await call("POST", "/license/reinstate", { body: { license_id: id } }),
      409,
      "CONFLICT",
    );
  });
});

describe("expired licenses", () => {
  it("cannot be suspended, but can still be revoked and renewed", async () => {
    const license = await issue({ expires_at: new Date(Date.now() + 1_000).toISOString() });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const id = license.license_id;

    expectError(
      await call("POST", "/license/suspend", { body: { license_id: id } }),
      400,
      "EXPIRED_LICENSE",
    );
    const renewed = await call("POST", "/license/renew", {
      body: { license_id: id, new_expires_at: daysFromNow(30) },
    });
    expectStatus(renewed, 201);
    const listed = await call<{ status: string }>("GET", `/license/${id}`);
    expect(listed.body.status).toBe("superseded");
  });
});

describe("renewal", () => {
  it("issues a new license and supersedes the old one", async () => {
    const old = await issue({ modules: ["core"], metadata: { seats: 5, trial: true } });
    const response = await call<{ license: LicenseDoc }>("POST", "/license/renew", {
      body: {
        license: old,
        new_expires_at: daysFromNow(400),
        extend_modules: ["reports"],
        metadata_updates: { seats: 10, trial: null },
      },
    });
    expectStatus(response, 201);
    const renewed = response.body.license;
    expect(renewed).toMatchObject({
      customer: old.customer,
      modules: ["core", "reports"],
      metadata: { seats: 10 },
      renewed_from: old.license_id,
      expires_at: `${daysFromNow(400)}T23:59:59.999Z`,
    });
    expect(renewed.license_id).not.toBe(old.license_id);

    expect((await validate(renewed)).body).toMatchObject({ valid: true, code: "VALID" });
    expect((await validate(old)).body).toMatchObject({ valid: false, code: "SUPERSEDED" });
  });

  it("renews by license_id", async () => {
    const old = await issue();
    const response = await call("POST", "/license/renew", {
      body: { license_id: old.license_id, new_expires_at: daysFromNow(60) },
    });
    expectStatus(response, 201);
  });

  it("refuses a tampered license, a revoked one and a second renewal", async () => {
    const old = await issue();
    const tampered = await call("POST", "/license/renew", {
      body: { license: { ...old, customer: "mallory" }, new_expires_at: daysFromNow(60) },
    });
    expectError(tampered, 401, "INVALID_SIGNATURE");

    expectStatus(
      await call("POST", "/license/renew", {
        body: { license: old, new_expires_at: daysFromNow(60) },
      }),
      201,
    );
    const twice = await call("POST", "/license/renew", {
      body: { license: old, new_expires_at: daysFromNow(90) },
    });
    expectError(twice, 409, "CONFLICT");

    const revoked = await issue();
    await call("POST", "/license/revoke", {
      body: { license_id: revoked.license_id, reason: "fraud" },
    });
    const renewRevoked = await call("POST", "/license/renew", {
      body: { license_id: revoked.license_id, new_expires_at: daysFromNow(60) },
    });
    expectError(renewRevoked, 409, "CONFLICT");
  });

  it("lets exactly one of many concurrent renewals win, leaving one successor", async () => {
    const old = await issue();
    const attempts = await Promise.all(
      Array.from({ length: 6 }, () =>
        call("POST", "/license/renew", {
          body: { license_id: old.license_id, new_expires_at: daysFromNow(100) },
        }),
      ),
    );
    const statuses = attempts.map((a) => a.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409]);

    const successors = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM licenses WHERE renewed_from = ?",
    )
      .bind(old.license_id)
      .first<{ n: number }>();
    expect(successors?.n).toBe(1);
  });
});

describe("reading and listing", () => {
  it("shows one license with its status history", async () => {
    const license = await issue();
    const id = license.license_id;
    await call("POST", "/license/suspend", { body: { license_id: id, reason: "audit" } });
    await call("POST", "/license/reinstate", { body: { license_id: id } });
    await call("POST", "/license/revoke", { body: { license_id: id, reason: "refund" } });

    const response = await call<{
      status: string;
      history: { event: string; reason: string | null }[];
    }>("GET", `/license/${id}`);
    expectStatus(response, 200);
    expect(response.body.status).toBe("revoked");
    expect(response.body.history.map((h) => [h.event, h.reason])).toEqual([
      ["issued", null],
      ["suspended", "audit"],
      ["reinstated", null],
      ["revoked", "refund"],
    ]);
    expectError(await call("GET", "/license/lic_zzzzzzzzzzzzzzzzzzzzzzzzzz"), 404, "NOT_FOUND");
    expectError(await call("GET", "/license/not-an-id"), 400, "INVALID_LICENSE");
  });

  it("filters by customer and status and pages with a stable cursor", async () => {
    const customer = `list-${crypto.randomUUID()}`;
    const issued: LicenseDoc[] = [];
    for (let i = 0; i < 5; i += 1) {
      issued.push(await issue({ customer }));
    }
    const first = issued[0];
    if (!first) {
      throw new Error("nothing issued");
    }
    await call("POST", "/license/suspend", { body: { license_id: first.license_id } });

    type Page = { licenses: { license: LicenseDoc; status: string }[]; next_cursor: string | null };
    const suspended = await call<Page>(
      "GET",
      `/license/list?customer=${customer}&status=suspended`,
    );
    expect(suspended.body.licenses.map((l) => l.license.license_id)).toEqual([first.license_id]);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : "";
      const page: Awaited<ReturnType<typeof call<Page>>> = await call<Page>(
        "GET",
        `/license/list?customer=${customer}&limit=2${query}`,
      );
      expectStatus(page, 200);
      // A license issued while paging must neither repeat nor shift the pages already read.
      if (seen.length === 0) {
        await issue({ customer });
      }
      seen.push(...page.body.licenses.map((l) => l.license.license_id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(issued.map((l) => l.license_id).reverse());

    const pageTwo = await call<Page>("GET", `/license/list?customer=${customer}&limit=2&page=2`);
    expect(pageTwo.body.licenses).toHaveLength(2);
    expectError(await call("GET", "/license/list?limit=0"), 400, "INVALID_LICENSE");
    expectError(await call("GET", "/license/list?status=lost"), 400, "INVALID_LICENSE");
    expectError(await call("GET", "/license/list?cursor=bogus"), 400, "INVALID_LICENSE");
  });

  it("caps the page size", async () => {
    const response = await call<{ limit: number }>("GET", "/license/list?limit=100000");
    expectStatus(response, 200);
    expect(response.body.limit).toBe(100);
  });
});

function flipLastChar(signature: string): string {
  const last = signature.at(-2) === "A" ? "B" : "A";
  return `${signature.slice(0, -2)}${last}${signature.slice(-1)}`;
}
