import { EVENT_TYPES, type EventType, type LicenseEvent } from "../events/types.ts";
import { log } from "../http/log.ts";
import { publishEvents } from "../webhooks/publish.ts";
import type { AuditContent, AuditRow } from "./entry.ts";
import { contentOf } from "./entry.ts";

export interface AuditFilter {
  action?: string | undefined;
  target?: string | undefined;
  actor?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  /** Entries older than this one (by commit order). */
  before?: number | undefined;
  limit: number;
}

/** An entry as shown to API users: its content and its place in the chain. */
export type AuditView = Omit<AuditContent, "tenant_id"> & {
  seq: number | null;
  hash: string | null;
};

/** One page of a tenant's audit trail, newest first. */
export async function listAudit(
  db: D1Database,
  tenantId: string,
  filter: AuditFilter,
): Promise<{ entries: AuditView[]; next_cursor: string | null }> {
  const { results } = await db
    .prepare(
      `SELECT * FROM audit_log WHERE tenant_id = ?1
         AND (?2 IS NULL OR action = ?2) AND (?3 IS NULL OR target = ?3)
         AND (?4 IS NULL OR actor = ?4) AND (?5 IS NULL OR occurred_at >= ?5)
         AND (?6 IS NULL OR occurred_at <= ?6) AND (?7 IS NULL OR entry_id < ?7)
       ORDER BY entry_id DESC LIMIT ?8`,
    )
    .bind(
      tenantId,
      filter.action ?? null,
      filter.target ?? null,
      filter.actor ?? null,
      filter.since ?? null,
      filter.until ?? null,
      filter.before ?? null,
      filter.limit + 1,
    )
    .run<AuditRow>();
  const page = results.slice(0, filter.limit);
  const last = page.at(-1);
  return {
    entries: page.map((row) => {
      const { tenant_id: _tenant, ...content } = contentOf(row);
      return { ...content, seq: row.seq, hash: row.hash };
    }),
    next_cursor: results.length > filter.limit && last ? String(last.entry_id) : null,
  };
}

const PUBLISHED: ReadonlySet<string> = new Set(EVENT_TYPES);

/**
 * Hands the license events among audit entries not yet published to the webhook queue, then
 * marks them. Entries are the outbox: an event is never lost between the change and the queue,
 * and one published twice keeps its id, on which deliveries are deduplicated.
 */
export async function publishAuditEvents(
  db: D1Database,
  queue: Queue,
  scope: { requestId: string } | { olderThan: string },
): Promise<number> {
  const byRequest = "requestId" in scope;
  const { results } = await db
    .prepare(
      `SELECT * FROM audit_log WHERE published_at IS NULL AND action LIKE 'license.%'
         AND ${byRequest ? "request_id = ?1" : "occurred_at < ?1"}
       ORDER BY entry_id LIMIT 500`,
    )
    .bind(byRequest ? scope.requestId : scope.olderThan)
    .run<AuditRow>();
  const events: LicenseEvent[] = results
    .filter((row) => PUBLISHED.has(row.action))
    .map((row) => ({
      id: row.event_id,
      type: row.action as EventType,
      tenant_id: row.tenant_id,
      occurred_at: row.occurred_at,
      data: JSON.parse(row.fields) as Record<string, unknown>,
    }));
  if (results.length === 0) {
    return 0;
  }
  await publishEvents(queue, events);
  const mark = db.prepare("UPDATE audit_log SET published_at = ?1 WHERE entry_id = ?2");
  const at = new Date().toISOString();
  await db.batch(results.map((row) => mark.bind(at, row.entry_id)));
  log("info", "events published", { events: events.length });
  return events.length;
}
