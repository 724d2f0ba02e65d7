import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN_KEY, call, daysFromNow, expectError, expectStatus, issue } from "../helpers.ts";

interface Created {
  credential: { key_id: string; tenant_id: string; role: string; prefix: string };
  secret: string;
}

async function createCredential(body: Record<string, unknown>, key = ADMIN_KEY): Promise<Created> {
  const response = await call<Created>("POST", "/credentials", { body, key });
  expectStatus(response, 201);
  return response.body;
}

async function createTenant(tenantId: string): Promise<void> {
  const response = await call("POST", "/tenants", {
    body: { tenant_id: tenantId, name: `Tenant ${tenantId}` },
  });
  expectStatus(response, 201);
}

function uniqueTenant(): string {
  return `t-${crypto.randomUUID().slice(0, 8)}`;
}

describe("API keys", () => {
  it("shows the secret once, stores only its hash, and authenticates with it", async () => {
    const created = await createCredential({ name: "ci", role: "issuer" });
    expect(created.secret).toMatch(/^ela_[A-Za-z0-9_-]{43}$/);
    expect(created.credential).toMatchObject({ role: "issuer", tenant_id: "default" });
    expect(created.secret.startsWith(created.credential.prefix)).toBe(true);

    const stored = await env.DB.prepare("SELECT * FROM api_keys WHERE key_id = ?")
      .bind(created.credential.key_id)
      .first<Record<string, unknown>>();
    expect(JSON.stringify(stored)).not.toContain(created.secret);

    const listed = await call<{ credentials: Record<string, unknown>[] }>("GET", "/credentials");
    const entry = listed.body.credentials.find((c) => c.key_id === created.credential.key_id);
    expect(entry).toBeDefined();
    expect(JSON.stringify(listed.body)).not.toContain(created.secret);

    await issue({}, { key: created.secret });
    const used = await call<{ credentials: { key_id: string; last_used_at: string | null }[] }>(
      "GET",
      "/credentials",
    );
    const after = used.body.credentials.find((c) => c.key_id === created.credential.key_id);
    expect(after?.last_used_at).not.toBeNull();
  });

  it("stops a revoked key at once, and refuses to revoke it twice", async () => {
    const created = await createCredential({ name: "leaked", role: "issuer" });
    const id = created.credential.key_id;
    expectStatus(await call("DELETE", `/credentials/${id}`), 200);
    expectError(await call("GET", "/license/list", { key: created.secret }), 401, "UNAUTHORIZED");
    expectError(await call("DELETE", `/credentials/${id}`), 409, "CONFLICT");
  });

  it("refuses an expired key", async () => {
    const created = await createCredential({
      name: "short",
      role: "reader",
      expires_at: new Date(Date.now() + 800).toISOString(),
    });
    expectStatus(await call("GET", "/license/list", { key: created.secret }), 200);
    await new Promise((resolve) => setTimeout(resolve, 900));
    expectError(await call("GET", "/license/list", { key: created.secret }), 401, "UNAUTHORIZED");
  });

  it("lets only admins manage keys", async () => {
    const issuer = await createCredential({ name: "issuer", role: "issuer" });
    const response = await call("POST", "/credentials", {
      body: { name: "escalate", role: "admin" },
      key: issuer.secret,
    });
    expectError(response, 403, "FORBIDDEN");
    expectError(await call("GET", "/credentials", { key: issuer.secret }), 403, "FORBIDDEN");
  });

  it.each([
    [{ role: "issuer" }],
    [{ name: "x", role: "owner" }],
    [{ name: "x", role: "issuer", expires_at: "2001-01-01" }],
    [{ name: "x", role: "issuer", tenant_id: "Not Valid" }],
    [{ name: "x", role: "issuer", secret: "chosen" }],
  ])("refuses to create a key from %j", async (body) => {
    expectError(await call("POST", "/credentials", { body }), 400, "INVALID_LICENSE");
  });
});

describe("roles", () => {
  it("gives each role exactly its routes", async () => {
    const keys = {
      issuer: (await createCredential({ name: "i", role: "issuer" })).secret,
      reader: (await createCredential({ name: "r", role: "reader" })).secret,
      validator: (await createCredential({ name: "v", role: "validator" })).secret,
    };
    const license = await issue();
    const body = { customer: "roles", modules: [], expires_at: daysFromNow(3) };

    const expectations: [keyof typeof keys, string, string, unknown, number][] = [
      ["issuer", "POST", "/license/issue", body, 201],
      ["issuer", "GET", "/license/list", undefined, 200],
      ["issuer", "GET", "/credentials", undefined, 403],
      ["reader", "GET", "/license/list", undefined, 200],
      ["reader", "GET", `/license/${license.license_id}`, undefined, 200],
      ["reader", "POST", "/license/issue", body, 403],
      ["reader", "POST", "/license/suspend", { license_id: license.license_id }, 403],
      ["validator", "POST", "/license/validate", { license }, 200],
      ["validator", "GET", "/license/list", undefined, 403],
      [
        "validator",
        "POST",
        "/license/revoke",
        { license_id: license.license_id, reason: "x" },
        403,
      ],
    ];
    for (const [role, method, path, requestBody, status] of expectations) {
      const response = await call(method, path, { body: requestBody, key: keys[role] });
      expect(response.status, `${role} ${method} ${path}: ${JSON.stringify(response.body)}`).toBe(
        status,
      );
    }
  });
});

describe("tenants", () => {
  it("keeps every license of one tenant out of another's reach", async () => {
    const a = uniqueTenant();
    const b = uniqueTenant();
    await createTenant(a);
    await createTenant(b);
    const adminA = (await createCredential({ name: "a", role: "admin", tenant_id: a })).secret;
    const adminB = (await createCredential({ name: "b", role: "admin", tenant_id: b })).secret;

    const licenseA = await issue({ customer: "shared-name" }, { key: adminA });
    const id = licenseA.license_id;

    expectError(await call("GET", `/license/${id}`, { key: adminB }), 404, "NOT_FOUND");
    const listB = await call<{ licenses: unknown[] }>("GET", "/license/list", { key: adminB });
    expect(listB.body.licenses).toEqual([]);
    for (const path of ["/license/revoke", "/license/suspend", "/license/reinstate"]) {
      const response = await call("POST", path, {
        body: { license_id: id, reason: "x" },
        key: adminB,
      });
      expectError(response, 404, "NOT_FOUND");
    }
    const renew = await call("POST", "/license/renew", {
      body: { license_id: id, new_expires_at: daysFromNow(90) },
      key: adminB,
    });
    expectError(renew, 404, "NOT_FOUND");
    const validated = await call("POST", "/license/validate", {
      body: { license: licenseA },
      key: adminB,
    });
    expect(validated.body).toMatchObject({ valid: false, code: "NOT_FOUND" });

    // Its own tenant still sees it untouched.
    const own = await call<{ status: string }>("GET", `/license/${id}`, { key: adminA });
    expect(own.body.status).toBe("active");
    const ownList = await call<{ licenses: unknown[] }>("GET", "/license/list", { key: adminA });
    expect(ownList.body.licenses).toHaveLength(1);
  });

  it("keeps credentials per tenant; only operators cross tenants", async () => {
    const a = uniqueTenant();
    await createTenant(a);
    const adminA = (await createCredential({ name: "a", role: "admin", tenant_id: a })).secret;
    const listA = await call<{ credentials: { tenant_id: string }[] }>("GET", "/credentials", {
      key: adminA,
    });
    expect(listA.body.credentials.map((c) => c.tenant_id)).toEqual([a]);

    const cross = await call("POST", "/credentials", {
      body: { name: "x", role: "admin", tenant_id: "default" },
      key: adminA,
    });
    expectError(cross, 403, "FORBIDDEN");
    expectError(
      await call("POST", "/tenants", {
        body: { tenant_id: uniqueTenant(), name: "n" },
        key: adminA,
      }),
      403,
      "FORBIDDEN",
    );
    const tenants = await call<{ tenants: { tenant_id: string }[] }>("GET", "/tenants", {
      key: adminA,
    });
    expect(tenants.body.tenants.map((t) => t.tenant_id)).toEqual([a]);
  });

  it("signs with a tenant's own Transit key", async () => {
    const tenantId = uniqueTenant();
    const created = await call("POST", "/tenants", {
      body: { tenant_id: tenantId, name: "Own key", transit_key: "licensing-test-ecdsa-p256" },
    });
    expectStatus(created, 201);
    const key = (await createCredential({ name: "own", role: "admin", tenant_id: tenantId }))
      .secret;
    const license = await issue({}, { key });
    const validated = await call("POST", "/license/validate", { body: { license }, key });
    expect(validated.body).toMatchObject({ valid: true, code: "VALID" });
    const keys = await env.DB.prepare("SELECT key_type FROM public_keys WHERE tenant_id = ?")
      .bind(tenantId)
      .all<{ key_type: string }>();
    expect(keys.results.map((r) => r.key_type)).toContain("ecdsa-p256");

    // Another tenant with the default key cannot pass this license off as its own.
    const other = await call("POST", "/license/validate", { body: { license }, key: null });
    expect(other.body).toMatchObject({ valid: false });
  });

  it("refuses a tenant whose Transit key Vault does not have, and duplicates", async () => {
    const missing = await call("POST", "/tenants", {
      body: { tenant_id: uniqueTenant(), name: "x", transit_key: "no-such-key" },
    });
    expectError(missing, 400, "INVALID_LICENSE");
    const id = uniqueTenant();
    await createTenant(id);
    expectError(
      await call("POST", "/tenants", { body: { tenant_id: id, name: "again" } }),
      409,
      "CONFLICT",
    );
  });
});
