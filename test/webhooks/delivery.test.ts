import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { publishEvents } from "../../src/webhooks/publish.ts";
import { call, expectStatus } from "../helpers.ts";
import {
  accepted,
  control,
  licenseEvent,
  received,
  receiverPath,
  register,
  settle,
  signatureValid,
  waitFor,
} from "./helpers.ts";

interface DeliveryPage {
  deliveries: { event_id: string; state: string; attempts: number; last_status: number | null }[];
  next_cursor: string | null;
}

/** Reads the log from D1 while waiting, so that polling does not use up the API's rate limit. */
async function stateOf(eventId: string, endpointId: string): Promise<string | undefined> {
  const row = await env.DB.prepare(
    "SELECT state FROM webhook_deliveries WHERE event_id = ?1 AND endpoint_id = ?2",
  )
    .bind(eventId, endpointId)
    .first<{ state: string }>();
  return row?.state;
}

async function until(eventId: string, endpointId: string, state: string, ms?: number) {
  await waitFor(
    async () => ((await stateOf(eventId, endpointId)) === state ? true : undefined),
    ms,
  );
}

async function deliveries(endpointId: string, query = ""): Promise<DeliveryPage> {
  const response = await call<DeliveryPage>("GET", `/webhooks/${endpointId}/deliveries${query}`);
  expectStatus(response, 200);
  return response.body;
}

describe("webhook deliveries through the queue", () => {
  it("delivers a published event, signed with the endpoint's secret", async () => {
    const path = receiverPath();
    const { endpoint, secret } = await register(path, ["license.issued"]);
    const event = licenseEvent("license.issued");

    await publishEvents(env.EVENTS, [event]);
    const [delivery] = await waitFor(async () => {
      const got = await accepted(path);
      return got.length > 0 ? got : undefined;
    });

    expect(delivery).toBeDefined();
    if (!delivery) {
      return;
    }
    expect(JSON.parse(delivery.body)).toEqual(event);
    expect(delivery.headers["content-type"]).toBe("application/json");
    expect(delivery.headers["webhook-id"]).toBe(event.id);
    const timestamp = Number(delivery.headers["webhook-timestamp"]);
    expect(Math.abs(timestamp - Date.now() / 1_000)).toBeLessThan(60);
    expect(delivery.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(await signatureValid(secret, delivery)).toBe(true);
    expect(
      await signatureValid(`whsec_${btoa("another secret of 32 bytes.......")}`, delivery),
    ).toBe(false);

    await until(event.id, endpoint.endpoint_id, "delivered");
    const log = await deliveries(endpoint.endpoint_id);
    expect(log.deliveries).toMatchObject([
      { event_id: event.id, state: "delivered", attempts: 1, last_status: 204 },
    ]);
  });

  it("retries while the receiver is down, then delivers once", async () => {
    const path = receiverPath();
    const { endpoint } = await register(path, ["license.revoked"]);
    await control(path, { fail_next: 2 });
    const event = licenseEvent("license.revoked");

    await publishEvents(env.EVENTS, [event]);
    await waitFor(async () => ((await accepted(path)).length > 0 ? true : undefined), 30_000);
    await settle();

    const all = await received(path);
    expect(all.map((r) => r.status)).toEqual([503, 503, 204]);
    expect(new Set(all.map((r) => r.headers["webhook-id"]))).toEqual(new Set([event.id]));
    await until(event.id, endpoint.endpoint_id, "delivered");
    const log = await deliveries(endpoint.endpoint_id);
    expect(log.deliveries).toMatchObject([
      { event_id: event.id, state: "delivered", attempts: 3, last_status: 204 },
    ]);
  });

  it("delivers an event published twice only once", async () => {
    const path = receiverPath();
    await register(path, ["license.renewed"]);
    const event = licenseEvent("license.renewed");

    await publishEvents(env.EVENTS, [event]);
    await waitFor(async () => ((await accepted(path)).length > 0 ? true : undefined));
    await publishEvents(env.EVENTS, [event, event]);
    await settle();

    expect(await received(path)).toHaveLength(1);
  });

  it("sends neither unsubscribed event types nor to disabled endpoints", async () => {
    const path = receiverPath();
    const other = receiverPath();
    const { endpoint } = await register(path, ["license.suspended"]);
    const disabled = await register(other, ["license.reinstated", "license.suspended"]);
    expectStatus(await call("DELETE", `/webhooks/${disabled.endpoint.endpoint_id}`), 200);

    await publishEvents(env.EVENTS, [
      licenseEvent("license.reinstated"),
      licenseEvent("license.suspended"),
    ]);
    await waitFor(async () => ((await accepted(path)).length > 0 ? true : undefined));
    await settle();

    const got = await received(path);
    expect(got.map((r) => (JSON.parse(r.body) as { type: string }).type)).toEqual([
      "license.suspended",
    ]);
    expect(await received(other)).toEqual([]);
    expect((await deliveries(endpoint.endpoint_id)).deliveries).toHaveLength(1);
  });

  it("does not send events of other tenants", async () => {
    const path = receiverPath();
    await register(path, ["license.issued"]);
    await publishEvents(env.EVENTS, [licenseEvent("license.issued", { tenant_id: "someone" })]);
    await settle();
    expect(await received(path)).toEqual([]);
  });

  it("keeps one endpoint's success when another fails, and marks dead letters", async () => {
    const good = receiverPath();
    const bad = receiverPath();
    const ok = await register(good, ["license.expired"]);
    const down = await register(bad, ["license.expired"]);
    await control(bad, { fail_for_ms: 60_000 });
    const event = licenseEvent("license.expired");

    await publishEvents(env.EVENTS, [event]);
    await until(event.id, down.endpoint.endpoint_id, "dead", 40_000);
    const log = await deliveries(down.endpoint.endpoint_id);

    // maxRetries is 3 in the test configuration: four attempts, then the dead-letter queue.
    expect(log.deliveries).toMatchObject([{ event_id: event.id, state: "dead", attempts: 4 }]);
    expect(await received(bad)).toHaveLength(4);
    expect(await received(good)).toHaveLength(1);
    expect((await deliveries(ok.endpoint.endpoint_id)).deliveries).toMatchObject([
      { event_id: event.id, state: "delivered", attempts: 1 },
    ]);
  }, 60_000);
});
