import { loadConfig } from "../config.ts";
import type { EventType, LicenseEvent } from "../events/types.ts";
import { MS_PER_DAY } from "../licenses/dates.ts";
import { publishEvents } from "./publish.ts";

type Kind = "expiring" | "expired" | "revoked";

/** Per kind and run; the rest waits for the next run of the cron. */
const SWEEP_LIMIT = 500;
/**
 * Licenses that expired or were revoked longer ago than this are not announced, so that the
 * first run after webhooks are deployed does not send an event for every license in history.
 */
const LOOKBACK_MS = 30 * MS_PER_DAY;

/** Licenses neither renewed nor revoked at `?1`. */
const LIVE = "l.superseded_by IS NULL AND (l.revoke_at IS NULL OR l.revoke_at > ?1)";
const NOT_NOTIFIED = (kind: Kind) =>
  `NOT EXISTS (SELECT 1 FROM license_notifications n
     WHERE n.license_id = l.license_id AND n.kind = '${kind}')`;

/** Which licenses are due each notification: ?1 now, ?2 the horizon or the lookback bound. */
const DUE: Record<Kind, string> = {
  expiring: `l.expires_at >= ?1 AND l.expires_at <= ?2 AND ${LIVE}`,
  expired: `l.expires_at < ?1 AND l.expires_at >= ?2 AND ${LIVE}`,
  // Only a revocation scheduled for later, and not overtaken by one effective at once: a
  // revocation effective at once is published by the request that made it.
  revoked: `l.revoke_at <= ?1 AND l.revoke_at >= ?2
    AND (SELECT e.event FROM license_events e
         WHERE e.license_id = l.license_id AND e.event IN ('revoked', 'revocation_scheduled')
         ORDER BY e.event_id DESC LIMIT 1) = 'revocation_scheduled'`,
};

interface NotificationRow {
  tenant_id: string;
  license_id: string;
  kind: Kind;
  notified_at: string;
  customer: string;
  expires_at: string;
  revoke_at: string | null;
  revocation_reason: string | null;
}

/**
 * The event of a notification, built only from stored rows so that publishing it again yields
 * the same message: its id is `evt_<kind>_<license id>`, which the consumer deduplicates on.
 */
function toEvent(row: NotificationRow): LicenseEvent {
  const type: EventType = `license.${row.kind}`;
  const occurredAt =
    row.kind === "expired"
      ? row.expires_at
      : row.kind === "revoked"
        ? (row.revoke_at ?? row.notified_at)
        : row.notified_at;
  return {
    id: `evt_${row.kind}_${row.license_id}`,
    type,
    tenant_id: row.tenant_id,
    occurred_at: occurredAt,
    data: {
      license_id: row.license_id,
      customer: row.customer,
      expires_at: row.expires_at,
      ...(row.kind === "revoked"
        ? { revoke_at: row.revoke_at, reason: row.revocation_reason }
        : {}),
    },
  };
}

/**
 * Emits license.expiring, license.expired and license.revoked (for scheduled revocations now
 * in effect), each once per license. A notification is first recorded (ON CONFLICT DO NOTHING,
 * so overlapping runs record it once), then every recorded one not yet marked published is
 * sent and marked. A crash between the two steps leaves the row unpublished, and the next run
 * sends it; if the crash came after sending, the event goes out again with the same id and
 * the consumer's delivery log drops it. Resolves to the number of events published.
 */
export async function emitScheduledEvents(env: Env, now: number): Promise<number> {
  const nowText = new Date(now).toISOString();
  const horizon = new Date(now + loadConfig(env).webhooks.expiringDays * MS_PER_DAY).toISOString();
  const lookback = new Date(now - LOOKBACK_MS).toISOString();
  const bounds: Record<Kind, string> = { expiring: horizon, expired: lookback, revoked: lookback };

  await env.DB.batch(
    (Object.keys(DUE) as Kind[]).map((kind) =>
      env.DB.prepare(
        // `WHERE true` keeps SQLite from reading ON CONFLICT as part of the SELECT's join.
        `INSERT INTO license_notifications (tenant_id, license_id, kind, notified_at)
         SELECT * FROM (
           SELECT l.tenant_id, l.license_id, '${kind}', ?1 FROM licenses l
           WHERE ${DUE[kind]} AND ${NOT_NOTIFIED(kind)} LIMIT ${SWEEP_LIMIT}
         ) WHERE true
         ON CONFLICT (license_id, kind) DO NOTHING`,
      ).bind(nowText, bounds[kind]),
    ),
  );

  const { results } = await env.DB.prepare(
    `SELECT n.tenant_id, n.license_id, n.kind, n.notified_at, l.customer, l.expires_at,
       l.revoke_at, l.revocation_reason
     FROM license_notifications n JOIN licenses l ON l.license_id = n.license_id
     WHERE n.published_at IS NULL
     ORDER BY n.notified_at LIMIT ${SWEEP_LIMIT * 3}`,
  ).all<NotificationRow>();
  if (results.length === 0) {
    return 0;
  }

  await publishEvents(env.EVENTS, results.map(toEvent));
  await env.DB.batch(
    results.map((row) =>
      env.DB.prepare(
        `UPDATE license_notifications SET published_at = ?3
         WHERE license_id = ?1 AND kind = ?2 AND published_at IS NULL`,
      ).bind(row.license_id, row.kind, nowText),
    ),
  );
  return results.length;
}
