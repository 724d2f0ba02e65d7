import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { LicenseEvent } from "../../src/events/types.ts";
import { emitScheduledEvents } from "../../src/webhooks/expiry.ts";
import { call, daysFromNow, expectStatus, issue } from "../helpers.ts";
import { accepted, receiverPath, register, settle, waitFor } from "./helpers.ts";

const DAY = 86_400_000;

function eventsOf(bodies: { body: string }[], licenseIds: string[]): LicenseEvent[] {
  return bodies
    .map((r) => JSON.parse(r.body) as LicenseEvent)
    .filter((e) => licenseIds.includes(String(e.data.license_id)));
}

describe("scheduled license events", () => {
  it("sends expiring, expired and scheduled revocations once per license", async () => {
    const path = receiverPath();
    await register(path, ["license.expiring", "license.expired", "license.revoked"]);

    const soon = await issue({ expires_at: daysFromNow(3) });
    const later = await issue({ expires_at: daysFromNow(60) });
    const lapsed = await issue({ expires_at: daysFromNow(3) });
    const scheduled = await issue({ expires_at: daysFromNow(60) });
    const renewed = await issue({ expires_at: daysFromNow(3) });
    // Expiry in the past and a scheduled revocation now due, written directly: the API refuses
    // both, rightly, for new requests.
    await env.DB.prepare("UPDATE licenses SET expires_at = ?1 WHERE license_id = ?2")
      .bind(new Date(Date.now() - DAY).toISOString(), lapsed.license_id)
      .run();
    expectStatus(
      await call("POST", "/license/revoke", {
        body: {
          license_id: scheduled.license_id,
          reason: "contract ended",
          effective_date: daysFromNow(5),
        },
      }),
      200,
    );
    await env.DB.prepare("UPDATE licenses SET revoke_at = ?1 WHERE license_id = ?2")
      .bind(new Date(Date.now() - 60_000).toISOString(), scheduled.license_id)
      .run();
    expectStatus(
      await call("POST", "/license/renew", {
        body: { license_id: renewed.license_id, new_expires_at: daysFromNow(90) },
      }),
      201,
    );

    const ids = [soon, later, lapsed, scheduled, renewed].map((l) => l.license_id);
    const first = await emitScheduledEvents(env, Date.now());
    expect(first).toBeGreaterThanOrEqual(3);
    await emitScheduledEvents(env, Date.now());
    await waitFor(async () => ((await accepted(path)).length >= 3 ? true : undefined));
    await settle();
    await emitScheduledEvents(env, Date.now() + 60_000);
    await settle();

    const events = eventsOf(await accepted(path), ids);
    expect(events.map((e) => [e.type, e.data.license_id]).sort()).toEqual(
      [
        ["license.expired", lapsed.license_id],
        ["license.expiring", soon.license_id],
        ["license.revoked", scheduled.license_id],
      ].sort(),
    );
    const expiring = events.find((e) => e.type === "license.expiring");
    expect(expiring).toMatchObject({
      id: `evt_expiring_${soon.license_id}`,
      tenant_id: "default",
      data: { license_id: soon.license_id, expires_at: soon.expires_at },
    });
  }, 30_000);

  it("publishes again what a crash left unpublished; the receiver gets it once", async () => {
    const path = receiverPath();
    await register(path, ["license.expiring"]);
    const soon = await issue({ expires_at: daysFromNow(2) });

    await emitScheduledEvents(env, Date.now());
    await waitFor(async () => ((await accepted(path)).length > 0 ? true : undefined));
    // As if the run had crashed after publishing, before marking the row published.
    await env.DB.prepare(
      "UPDATE license_notifications SET published_at = NULL WHERE license_id = ?1",
    )
      .bind(soon.license_id)
      .run();
    expect(await emitScheduledEvents(env, Date.now())).toBeGreaterThanOrEqual(1);
    await settle();

    expect(eventsOf(await accepted(path), [soon.license_id])).toHaveLength(1);
    const row = await env.DB.prepare(
      "SELECT published_at FROM license_notifications WHERE license_id = ?1",
    )
      .bind(soon.license_id)
      .first<{ published_at: string | null }>();
    expect(row?.published_at).toEqual(expect.any(String));
  }, 30_000);
});
