import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, expectError, expectStatus } from "../helpers.ts";
import { receiverPath, register } from "./helpers.ts";

describe("webhook endpoints API", () => {
  it("creates an endpoint and shows its secret only once", async () => {
    const created = await call<{
      success: boolean;
      endpoint: Record<string, unknown>;
      secret: string;
    }>("POST", "/webhooks", {
      body: { url: "https://hooks.example/licenses", events: ["license.issued", "license.issued"] },
    });
    expectStatus(created, 201);
    expect(created.body.success).toBe(true);
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(atob(created.body.secret.slice(6))).toHaveLength(32);
    expect(created.body.endpoint).toMatchObject({
      url: "https://hooks.example/licenses",
      events: ["license.issued"],
      tenant_id: "default",
      disabled_at: null,
    });
    expect(created.body.endpoint).not.toHaveProperty("secret");

    const list = await call<{ endpoints: Record<string, unknown>[] }>("GET", "/webhooks");
    expectStatus(list, 200);
    const listed = list.body.endpoints.find(
      (e) => e.endpoint_id === created.body.endpoint.endpoint_id,
    );
    expect(listed).toBeDefined();
    expect(JSON.stringify(list.body)).not.toContain(created.body.secret);
  });

  it("disables an endpoint", async () => {
    const { endpoint } = await register(receiverPath(), ["license.issued"]);
    const deleted = await call<{ endpoint: { disabled_at: string | null } }>(
      "DELETE",
      `/webhooks/${endpoint.endpoint_id}`,
    );
    expectStatus(deleted, 200);
    expect(deleted.body.endpoint.disabled_at).toEqual(expect.any(String));
    expectError(await call("DELETE", "/webhooks/whe_AAAAAAAAAAAAAAAA"), 404, "NOT_FOUND");
    expectError(await call("GET", "/webhooks/whe_AAAAAAAAAAAAAAAA/deliveries"), 404, "NOT_FOUND");
  });

  it("refuses bad URLs and event types", async () => {
    for (const body of [
      { url: "http://hooks.example/x", events: ["license.issued"] },
      { url: "ftp://hooks.example/x", events: ["license.issued"] },
      { url: "https://user:pw@hooks.example/x", events: ["license.issued"] },
      { url: "https://hooks.example/x", events: [] },
      { url: "https://hooks.example/x", events: ["license.deleted"] },
      { url: "https://hooks.example/x" },
    ]) {
      expectError(await call("POST", "/webhooks", { body }), 400, "INVALID_LICENSE");
    }
    // Plain http to the local machine only where allowed, as in the test configuration.
    expectStatus(
      await call("POST", "/webhooks", {
        body: { url: `${env.TEST_WEBHOOK_RECEIVER}/x`, events: ["license.issued"] },
      }),
      201,
    );
    expectError(
      await call("POST", "/webhooks", {
        body: { url: `${env.TEST_WEBHOOK_RECEIVER}/x`, events: ["license.issued"] },
        env: { WEBHOOK_ALLOW_LOCAL_HTTP: "false" } as Partial<Env>,
      }),
      400,
      "INVALID_LICENSE",
    );
  });

  it("is for admins only", async () => {
    expectError(await call("GET", "/webhooks", { key: null }), 401, "UNAUTHORIZED");
    const reader = await call<{ secret: string }>("POST", "/credentials", {
      body: { name: "reader", role: "reader" },
    });
    expectStatus(reader, 201);
    expectError(await call("GET", "/webhooks", { key: reader.body.secret }), 403, "FORBIDDEN");
  });

  it("rejects cursors it did not make", async () => {
    const { endpoint } = await register(receiverPath(), ["license.issued"]);
    expectError(
      await call("GET", `/webhooks/${endpoint.endpoint_id}/deliveries?cursor=bm9wZQ`),
      400,
      "INVALID_LICENSE",
    );
  });
});
