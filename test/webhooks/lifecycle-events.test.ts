import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { auditHousekeeping } from "../../src/audit/scheduled.ts";
import { loadConfig } from "../../src/config.ts";
import { call, daysFromNow, expectStatus, issue } from "../helpers.ts";
import { accepted, receiverPath, register, settle, signatureValid, waitFor } from "./helpers.ts";

describe("license events from the requests that cause them", () => {
  it("reach a receiver once each, signed: issue, suspend, reinstate, renew, revoke", async () => {
    const path = receiverPath();
    const { secret } = await register(path, [
      "license.issued",
      "license.suspended",
      "license.reinstated",
      "license.renewed",
      "license.revoked",
    ]);
    const license = await issue({ customer: `events-${crypto.randomUUID()}` });
    const id = license.license_id;
    await call("POST", "/license/suspend", { body: { license_id: id } });
    await call("POST", "/license/reinstate", { body: { license_id: id } });
    const renewed = await call<{ license: { license_id: string } }>("POST", "/license/renew", {
      body: { license_id: id, new_expires_at: daysFromNow(60) },
    });
    expectStatus(renewed, 201);
    await call("POST", "/license/revoke", {
      body: { license_id: renewed.body.license.license_id, reason: "refund" },
    });

    const deliveries = await waitFor(async () => {
      const got = await accepted(path);
      return got.length >= 5 ? got : undefined;
    });
    await settle(500);
    const types = (await accepted(path)).map((d) => JSON.parse(d.body).type).sort();
    expect(types).toEqual([
      "license.issued",
      "license.reinstated",
      "license.renewed",
      "license.revoked",
      "license.suspended",
    ]);
    for (const delivery of deliveries) {
      expect(await signatureValid(secret, delivery)).toBe(true);
    }
    const issued = deliveries
      .map((d) => JSON.parse(d.body))
      .find((e) => e.type === "license.issued");
    expect(issued.data.license.license_id).toBe(id);
    expect(issued.data.license).not.toHaveProperty("signature");
  });

  it("are sent by the cron when the request could not send them", async () => {
    const path = receiverPath();
    await register(path, ["license.issued"]);
    const license = await issue({ customer: `outbox-${crypto.randomUUID()}` });
    // As if the request had died before publishing: the entry stays in the outbox.
    await env.DB.prepare(
      `UPDATE audit_log SET published_at = NULL, occurred_at = '2000-01-01T00:00:00.000Z'
       WHERE target = ?`,
    )
      .bind(license.license_id)
      .run();
    await auditHousekeeping(env, loadConfig(env), Date.now());
    const got = await waitFor(async () => {
      const list = await accepted(path);
      return list.length >= 1 ? list : undefined;
    });
    await settle(500);
    // Published twice in all (by the request, then by the cron), delivered once.
    expect(got).toHaveLength(1);
  });
});
