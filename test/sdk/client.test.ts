// The online client against the real Worker: every route it wraps, and the errors users catch.

import { describe, expect, it } from "vitest";
import { LicenseApiError, LicenseClient, type LicenseView } from "../../sdk/index.ts";
import {
  adminClient,
  BASE_URL,
  daysFromNow,
  recorded,
  uniqueCustomer,
  workerFetch,
} from "./helpers.ts";

/** The error a call rejects with, to inspect its fields. */
async function rejection(promise: Promise<unknown>): Promise<LicenseApiError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(LicenseApiError);
  if (!(error instanceof LicenseApiError)) {
    throw new Error("expected a LicenseApiError");
  }
  return error;
}

describe("license lifecycle", () => {
  it("issues, validates, revokes and then validates REVOKED", async () => {
    const client = adminClient();
    const issued = await client.issue({
      customer: uniqueCustomer(),
      modules: ["core", "reports"],
      expires_at: daysFromNow(30),
      metadata: { seats: 5 },
    });
    expect(issued.success).toBe(true);
    expect(issued.license.license_id).toMatch(/^lic_/);
    expect(issued.license_token.split(".")).toHaveLength(3);

    const valid = await client.validate(issued.license, { module: "reports" });
    expect(valid).toMatchObject({ valid: true, code: "VALID", signature_valid: true });
    const viaToken = await client.validate(issued.license_token);
    expect(viaToken).toMatchObject({ valid: true, code: "VALID" });
    const wrongModule = await client.validate(issued.license, { module: "sso" });
    expect(wrongModule).toMatchObject({ valid: false, code: "MODULE_NOT_LICENSED" });

    const revoked = await client.revoke(issued.license.license_id, "chargeback");
    expect(revoked).toMatchObject({ success: true, status: "revoked" });
    const after = await client.validate(issued.license);
    expect(after).toMatchObject({ valid: false, code: "REVOKED" });
    expect(await client.validate(issued.license_token)).toMatchObject({ code: "REVOKED" });

    const details = await client.get(issued.license.license_id);
    expect(details.status).toBe("revoked");
    expect(details.history.map((entry) => entry.event)).toEqual(["issued", "revoked"]);
  });

  it("validates without a key, as applications do", async () => {
    const issued = await adminClient().issue({
      customer: uniqueCustomer(),
      modules: [],
      expires_at: daysFromNow(5),
    });
    const anonymous = new LicenseClient({ baseUrl: BASE_URL, fetch: workerFetch() });
    expect(await anonymous.validate(issued.license)).toMatchObject({ valid: true });
    const tampered = { ...issued.license, customer: "someone else" };
    expect(await anonymous.validate(tampered)).toMatchObject({
      valid: false,
      code: "INVALID_SIGNATURE",
      license: null,
    });
  });

  it("suspends, reinstates, schedules a revocation and renews", async () => {
    const client = adminClient();
    const { license } = await client.issue({
      customer: uniqueCustomer(),
      modules: ["core"],
      expires_at: daysFromNow(10),
    });
    expect(await client.suspend(license.license_id, "overdue")).toMatchObject({
      status: "suspended",
    });
    expect(await client.validate(license)).toMatchObject({ code: "SUSPENDED" });
    expect(await client.reinstate(license.license_id)).toMatchObject({ status: "active" });

    const scheduled = await client.revoke(license.license_id, "contract ends", {
      effectiveDate: daysFromNow(3),
    });
    expect(scheduled.status).toBe("active");
    expect(scheduled.revoked_at).not.toBeNull();

    const renewed = await client.renew({
      license_id: license.license_id,
      new_expires_at: daysFromNow(400),
      extend_modules: ["sso"],
      metadata_updates: { seats: 10 },
    });
    expect(renewed.license.renewed_from).toBe(license.license_id);
    expect(renewed.license.modules).toEqual(["core", "sso"]);
    expect(await client.validate(license)).toMatchObject({ code: "SUPERSEDED" });
    expect(await client.validate(renewed.license_token, { module: "sso" })).toMatchObject({
      valid: true,
    });
  });

  it("issues a batch and reports items that fail on their own", async () => {
    const customer = uniqueCustomer();
    const batch = await adminClient().batchIssue([
      { customer, modules: ["core"], expires_at: daysFromNow(30) },
      { customer, modules: [], expires_at: "not a date" },
    ]);
    expect(batch).toMatchObject({ success: false, issued: 1, failed: 1 });
    const [first, second] = batch.results;
    expect(first).toMatchObject({ index: 0, success: true });
    expect(second).toMatchObject({ index: 1, success: false, code: "INVALID_LICENSE" });
  });

  it("sends key_version for issue when asked", async () => {
    const { fetch, requests } = recorded(workerFetch());
    const client = adminClient({ fetch });
    const issued = await client.issue(
      { customer: uniqueCustomer(), modules: [], expires_at: daysFromNow(5) },
      { keyVersion: 1 },
    );
    expect(issued.license.key_version).toBe(1);
    expect(JSON.parse(requests[0]?.body ?? "{}")).toMatchObject({ key_version: 1 });
  });
});

describe("listing", () => {
  it("pages with cursors and listAll follows them to the end", async () => {
    const customer = uniqueCustomer("list");
    const client = adminClient();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { license } = await client.issue({
        customer,
        modules: [],
        expires_at: daysFromNow(10 + i),
      });
      ids.push(license.license_id);
    }

    const first = await client.list({ customer, limit: 2 });
    expect(first.licenses).toHaveLength(2);
    expect(first.has_more).toBe(true);
    expect(first.next_cursor).toEqual(expect.any(String));

    const { fetch, requests } = recorded(workerFetch());
    const listing = adminClient({ fetch });
    const all: LicenseView[] = [];
    for await (const view of listing.listAll({ customer, limit: 2 })) {
      all.push(view);
    }
    // Newest first: the reverse of issuing order.
    expect(all.map((view) => view.license.license_id)).toEqual([...ids].reverse());
    expect(requests).toHaveLength(3);
    expect(requests[0]?.url.searchParams.get("cursor")).toBeNull();
    expect(requests[1]?.url.searchParams.get("cursor")).toEqual(first.next_cursor);
    expect(requests.every((r) => r.url.searchParams.get("customer") === customer)).toBe(true);

    const revoked = ids[2] ?? "";
    await client.revoke(revoked, "test");
    const onlyRevoked = await client.list({ customer, status: "revoked" });
    expect(onlyRevoked.licenses.map((view) => view.license.license_id)).toEqual([revoked]);
  });

  it("yields nothing for a customer without licenses", async () => {
    const all: LicenseView[] = [];
    for await (const view of adminClient().listAll({ customer: uniqueCustomer("none") })) {
      all.push(view);
    }
    expect(all).toEqual([]);
  });
});

describe("errors", () => {
  it("turns 404 into LicenseApiError NOT_FOUND with the request id", async () => {
    const { fetch, requests } = recorded(workerFetch());
    const client = adminClient({ fetch });
    const error = await rejection(client.get("lic_00000000000000000000000000"));
    expect(requests).toHaveLength(1);
    expect(error.requestId).toBe(requests[0]?.response?.headers.get("X-Request-Id"));
    expect(error.status).toBe(404);
    expect(error.code).toBe("NOT_FOUND");
    expect(error.requestId).toEqual(expect.any(String));
    expect(error.body).toMatchObject({ code: "NOT_FOUND", request_id: error.requestId });
    expect(error.message).toMatch(/NOT_FOUND/);
    expect(error.retryAfterSeconds).toBeNull();
  });

  it("turns 400 into INVALID_LICENSE with the details", async () => {
    const error = await rejection(
      adminClient().issue({ customer: "", modules: [], expires_at: "soon" }),
    );
    expect(error.status).toBe(400);
    expect(error.code).toBe("INVALID_LICENSE");
    expect(error.details).toEqual(expect.any(Array));
  });

  it("turns a missing key into 401 UNAUTHORIZED", async () => {
    const client = new LicenseClient({ baseUrl: BASE_URL, fetch: workerFetch() });
    const error = await rejection(client.list());
    expect(error.status).toBe(401);
    expect(error.code).toBe("UNAUTHORIZED");
  });

  it("turns a conflict into 409 CONFLICT without retrying", async () => {
    const { fetch, requests } = recorded(workerFetch());
    const client = adminClient({ fetch });
    const { license } = await client.issue({
      customer: uniqueCustomer(),
      modules: [],
      expires_at: daysFromNow(5),
    });
    await client.revoke(license.license_id, "once");
    const before = requests.length;
    const error = await rejection(client.revoke(license.license_id, "twice"));
    expect(error.code).toBe("CONFLICT");
    expect(requests.length - before).toBe(1);
  });
});

describe("service information", () => {
  it("reads health and the OpenAPI document", async () => {
    const client = adminClient();
    const health = await client.health();
    expect(health.status).toBe("ok");
    expect(health.can_validate).toBe(true);
    const openapi = await client.openapi();
    expect(openapi.openapi).toEqual(expect.stringMatching(/^3\.1/));
  });
});

describe("credentials and tenants", () => {
  it("creates, lists and revokes an API key that then stops working", async () => {
    const admin = adminClient();
    const created = await admin.credentials.create({ name: "sdk reader", role: "reader" });
    expect(created.secret).toMatch(/^ela_/);
    expect(created.credential.role).toBe("reader");

    const reader = adminClient({ apiKey: created.secret });
    expect((await reader.list({ limit: 1 })).limit).toBe(1);
    const forbidden = await rejection(
      reader.issue({ customer: "x", modules: [], expires_at: daysFromNow(2) }),
    );
    expect(forbidden.code).toBe("FORBIDDEN");

    const listed = await admin.credentials.list();
    expect(listed.credentials.map((c) => c.key_id)).toContain(created.credential.key_id);
    const revoked = await admin.credentials.revoke(created.credential.key_id);
    expect(revoked.credential.revoked_at).not.toBeNull();
    expect((await rejection(reader.list())).code).toBe("UNAUTHORIZED");
  });

  it("creates and lists tenants, and acts for one with tenantId", async () => {
    const admin = adminClient();
    const tenantId = `sdk-${crypto.randomUUID().slice(0, 8)}`;
    const created = await admin.tenants.create({ tenant_id: tenantId, name: "SDK Tenant" });
    expect(created.tenant.tenant_id).toBe(tenantId);
    expect((await admin.tenants.list()).tenants.map((t) => t.tenant_id)).toContain(tenantId);

    const key = await admin.credentials.create({
      name: "tenant admin",
      role: "admin",
      tenant_id: tenantId,
    });
    expect(key.credential.tenant_id).toBe(tenantId);
    const listed = await admin.credentials.list(tenantId);
    expect(listed.credentials.map((c) => c.key_id)).toEqual([key.credential.key_id]);
  });
});

describe("keys", () => {
  it("shows the signing key and publishes its JWK set", async () => {
    const client = adminClient();
    const { key } = await client.keys.show();
    expect(key.latest_version).toBeGreaterThanOrEqual(1);
    expect(key.versions.map((v) => v.kid)).toContain(`${key.name}:v${key.latest_version}`);

    const jwks = await new LicenseClient({ baseUrl: BASE_URL, fetch: workerFetch() }).jwks();
    const kids = jwks.keys.map((jwk) => jwk.kid);
    expect(kids).toContain(`${key.name}:v${key.latest_version}`);
    expect(client.jwksUrl()).toBe(`${BASE_URL}/.well-known/jwks.json`);
    expect(client.jwksUrl("acme")).toBe(`${BASE_URL}/.well-known/jwks.json?tenant=acme`);
  });
});
