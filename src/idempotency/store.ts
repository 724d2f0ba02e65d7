import type { Queryable } from "../licenses/store.ts";

export interface IdempotencyRow {
  route: string;
  request_hash: string;
  state: "pending" | "done";
  response_status: number | null;
  response_body: string | null;
  claimed_at: string;
  expires_at: string;
}

export interface IdempotencyScope {
  tenantId: string;
  key: string;
}

/** Claims a key for a new request; false when a record of it already exists. */
export async function claimKey(
  db: D1Database,
  scope: IdempotencyScope,
  route: string,
  requestHash: string,
  now: string,
  expiresAt: string,
): Promise<boolean> {
  const result = await db
    .prepare(
      `INSERT INTO idempotency_keys
         (tenant_id, idempotency_key, route, request_hash, state, claimed_at, expires_at)
       VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6)
       ON CONFLICT (tenant_id, idempotency_key) DO NOTHING`,
    )
    .bind(scope.tenantId, scope.key, route, requestHash, now, expiresAt)
    .run();
  return result.meta.changes === 1;
}

export async function readKey(
  db: D1Database,
  scope: IdempotencyScope,
): Promise<IdempotencyRow | null> {
  return await db
    .prepare(
      `SELECT route, request_hash, state, response_status, response_body, claimed_at, expires_at
       FROM idempotency_keys WHERE tenant_id = ?1 AND idempotency_key = ?2`,
    )
    .bind(scope.tenantId, scope.key)
    .first<IdempotencyRow>();
}

/**
 * Takes over a record that can be reused: an expired one, or a claim abandoned by a request
 * that never finished. Compare-and-set on claimed_at, so only one taker wins.
 */
export async function takeOver(
  db: D1Database,
  scope: IdempotencyScope,
  previousClaim: string,
  route: string,
  requestHash: string,
  now: string,
  expiresAt: string,
): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE idempotency_keys
       SET route = ?4, request_hash = ?5, state = 'pending', response_status = NULL,
           response_body = NULL, claimed_at = ?6, expires_at = ?7
       WHERE tenant_id = ?1 AND idempotency_key = ?2 AND claimed_at = ?3`,
    )
    .bind(scope.tenantId, scope.key, previousClaim, route, requestHash, now, expiresAt)
    .run();
  return result.meta.changes === 1;
}

/**
 * Records the response of a claimed request. With `onlyIfLicense`, the record is completed only
 * if that license exists, so that it can share a batch whose license insert is guarded.
 */
export function completeStatement(
  db: Queryable,
  scope: IdempotencyScope,
  status: number,
  body: unknown,
  onlyIfLicense?: string,
): D1PreparedStatement {
  const guard =
    onlyIfLicense === undefined ? "" : "AND EXISTS (SELECT 1 FROM licenses WHERE license_id = ?5)";
  const params = [scope.tenantId, scope.key, status, JSON.stringify(body)];
  return db
    .prepare(
      `UPDATE idempotency_keys SET state = 'done', response_status = ?3, response_body = ?4
       WHERE tenant_id = ?1 AND idempotency_key = ?2 AND state = 'pending' ${guard}`,
    )
    .bind(...(onlyIfLicense === undefined ? params : [...params, onlyIfLicense]));
}

/** Gives a claim back after the request failed, so that a retry runs it again. */
export async function releaseClaim(db: D1Database, scope: IdempotencyScope): Promise<void> {
  await db
    .prepare(
      `DELETE FROM idempotency_keys
       WHERE tenant_id = ?1 AND idempotency_key = ?2 AND state = 'pending'`,
    )
    .bind(scope.tenantId, scope.key)
    .run();
}

/** Deletes expired records, a bounded number at a time. */
export async function purgeExpired(db: D1Database, now: string, max = 1_000): Promise<number> {
  const result = await db
    .prepare(
      `DELETE FROM idempotency_keys WHERE rowid IN (
         SELECT rowid FROM idempotency_keys WHERE expires_at < ?1 LIMIT ?2)`,
    )
    .bind(now, max)
    .run();
  return result.meta.changes;
}
