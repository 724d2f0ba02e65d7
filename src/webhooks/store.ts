import type { EventType } from "../events/types.ts";
import type { WebhookDelivery, WebhookEndpoint } from "./schemas.ts";

export interface EndpointRow {
  endpoint_id: string;
  tenant_id: string;
  url: string;
  events: string;
  secret: string;
  created_at: string;
  created_by: string;
  disabled_at: string | null;
}

const PUBLIC_COLUMNS = "endpoint_id, tenant_id, url, events, created_at, created_by, disabled_at";

/** What the API shows of an endpoint: everything but the secret. */
export function toEndpoint(row: Omit<EndpointRow, "secret">): WebhookEndpoint {
  return {
    endpoint_id: row.endpoint_id,
    tenant_id: row.tenant_id,
    url: row.url,
    events: JSON.parse(row.events) as EventType[],
    created_at: row.created_at,
    created_by: row.created_by,
    disabled_at: row.disabled_at,
  };
}

export async function insertEndpoint(db: D1Database, row: EndpointRow): Promise<void> {
  await db
    .prepare(
      `INSERT INTO webhook_endpoints (endpoint_id, tenant_id, url, events, secret, created_at,
         created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)`,
    )
    .bind(
      row.endpoint_id,
      row.tenant_id,
      row.url,
      row.events,
      row.secret,
      row.created_at,
      row.created_by,
    )
    .run();
}

export async function listEndpoints(db: D1Database, tenantId: string): Promise<WebhookEndpoint[]> {
  const { results } = await db
    .prepare(
      `SELECT ${PUBLIC_COLUMNS} FROM webhook_endpoints WHERE tenant_id = ?1
       ORDER BY created_at DESC, endpoint_id DESC`,
    )
    .bind(tenantId)
    .all<Omit<EndpointRow, "secret">>();
  return results.map(toEndpoint);
}

export async function findEndpoint(
  db: D1Database,
  tenantId: string,
  endpointId: string,
): Promise<WebhookEndpoint | null> {
  const row = await db
    .prepare(
      `SELECT ${PUBLIC_COLUMNS} FROM webhook_endpoints WHERE tenant_id = ?1 AND endpoint_id = ?2`,
    )
    .bind(tenantId, endpointId)
    .first<Omit<EndpointRow, "secret">>();
  return row ? toEndpoint(row) : null;
}

/** Disables an endpoint; disabling one already disabled keeps the first instant. */
export async function disableEndpoint(
  db: D1Database,
  tenantId: string,
  endpointId: string,
  at: string,
): Promise<WebhookEndpoint | null> {
  const row = await db
    .prepare(
      `UPDATE webhook_endpoints SET disabled_at = COALESCE(disabled_at, ?3)
       WHERE tenant_id = ?1 AND endpoint_id = ?2 RETURNING ${PUBLIC_COLUMNS}`,
    )
    .bind(tenantId, endpointId, at)
    .first<Omit<EndpointRow, "secret">>();
  return row ? toEndpoint(row) : null;
}

/** The enabled endpoints of a tenant that subscribe to an event type, with their secrets. */
export async function subscribedEndpoints(
  db: D1Database,
  tenantId: string,
  type: EventType,
): Promise<EndpointRow[]> {
  const { results } = await db
    .prepare(
      `SELECT * FROM webhook_endpoints
       WHERE tenant_id = ?1 AND disabled_at IS NULL
         AND EXISTS (SELECT 1 FROM json_each(webhook_endpoints.events) WHERE value = ?2)`,
    )
    .bind(tenantId, type)
    .all<EndpointRow>();
  return results;
}

export interface DeliveryKey {
  eventId: string;
  endpointId: string;
  tenantId: string;
  eventType: EventType;
}

/**
 * Claims the delivery of an event to an endpoint until `leaseUntil`. Returns null when it was
 * delivered already, or when another consumer holds a claim that has not run out: the holder
 * either delivers it or has its own message retried, so the caller may drop its copy.
 */
export async function claimDelivery(
  db: D1Database,
  key: DeliveryKey,
  now: string,
  leaseUntil: string,
): Promise<{ attempts: number } | null> {
  return await db
    .prepare(
      `INSERT INTO webhook_deliveries (event_id, endpoint_id, tenant_id, event_type, state,
         attempts, next_attempt_at, created_at)
       VALUES (?1, ?2, ?3, ?4, 'pending', 0, ?6, ?5)
       ON CONFLICT (event_id, endpoint_id) DO UPDATE
         SET state = 'pending', next_attempt_at = excluded.next_attempt_at
         WHERE webhook_deliveries.state IN ('failed', 'dead')
            OR (webhook_deliveries.state = 'pending'
                AND COALESCE(webhook_deliveries.next_attempt_at, '') <= ?5)
       RETURNING attempts`,
    )
    .bind(key.eventId, key.endpointId, key.tenantId, key.eventType, now, leaseUntil)
    .first<{ attempts: number }>();
}

export interface AttemptOutcome {
  delivered: boolean;
  status: number | null;
  error: string | null;
  at: string;
  nextAttemptAt: string | null;
}

export async function recordAttempt(
  db: D1Database,
  key: DeliveryKey,
  outcome: AttemptOutcome,
): Promise<void> {
  await db
    .prepare(
      `UPDATE webhook_deliveries SET state = ?3, attempts = attempts + 1, last_status = ?4,
         last_error = ?5, next_attempt_at = ?6, delivered_at = ?7
       WHERE event_id = ?1 AND endpoint_id = ?2`,
    )
    .bind(
      key.eventId,
      key.endpointId,
      outcome.delivered ? "delivered" : "failed",
      outcome.status,
      outcome.error,
      outcome.nextAttemptAt,
      outcome.delivered ? outcome.at : null,
    )
    .run();
}

/** Marks what is left undelivered of an event as dead: the queue gave up on it. */
export async function markDead(db: D1Database, eventId: string): Promise<number> {
  const result = await db
    .prepare(
      `UPDATE webhook_deliveries SET state = 'dead', next_attempt_at = NULL
       WHERE event_id = ?1 AND state IN ('pending', 'failed')`,
    )
    .bind(eventId)
    .run();
  return result.meta.changes;
}

export interface DeliveryCursor {
  createdAt: string;
  eventId: string;
}

/** A page of an endpoint's delivery log, newest first, after `cursor` when given. */
export async function listDeliveries(
  db: D1Database,
  endpointId: string,
  cursor: DeliveryCursor | undefined,
  limit: number,
): Promise<WebhookDelivery[]> {
  const { results } = await db
    .prepare(
      `SELECT event_id, endpoint_id, event_type, state, attempts, last_status, last_error,
         next_attempt_at, delivered_at, created_at
       FROM webhook_deliveries
       WHERE endpoint_id = ?1 AND (?2 IS NULL OR (created_at, event_id) < (?2, ?3))
       ORDER BY created_at DESC, event_id DESC LIMIT ?4`,
    )
    .bind(endpointId, cursor?.createdAt ?? null, cursor?.eventId ?? null, limit)
    .all<WebhookDelivery>();
  return results;
}
