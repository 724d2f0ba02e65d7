import type { License, LicenseStatus } from "./schemas.ts";

/** A D1 database or one of its sessions: both can prepare statements and run batches. */
export type Queryable = Pick<D1Database, "prepare" | "batch">;

export type LicenseEvent =
  | "issued"
  | "renewed"
  | "superseded"
  | "revoked"
  | "revocation_scheduled"
  | "suspended"
  | "reinstated";

/** Who changed what, and when: recorded with every change of a license. */
export interface Change {
  tenantId: string;
  actor: string;
  requestId: string;
  at: string;
}

export interface LicenseState {
  licenseId: string;
  status: LicenseStatus;
  revokeAt: string | null;
  revocationReason: string | null;
  suspendedAt: string | null;
  supersededBy: string | null;
}

export interface StoredLicense {
  license: License;
  state: LicenseState;
}

export interface HistoryEntry {
  event: LicenseEvent;
  reason: string | null;
  actor: string;
  request_id: string;
  occurred_at: string;
  effective_at: string | null;
}

interface StateRow {
  license_id: string;
  status: LicenseStatus;
  revoke_at: string | null;
  revocation_reason: string | null;
  suspended_at: string | null;
  superseded_by: string | null;
}

/** Status at instant ?1. Revocation wins over everything; scheduled ones count once due. */
const STATUS_SQL = `CASE
    WHEN revoke_at IS NOT NULL AND revoke_at <= ?1 THEN 'revoked'
    WHEN superseded_by IS NOT NULL THEN 'superseded'
    WHEN suspended_at IS NOT NULL THEN 'suspended'
    WHEN expires_at < ?1 THEN 'expired'
    ELSE 'active'
  END`;

const STATE_COLUMNS = `license_id, ${STATUS_SQL} AS status, revoke_at, revocation_reason,
  suspended_at, superseded_by`;

function toState(row: StateRow): LicenseState {
  return {
    licenseId: row.license_id,
    status: row.status,
    revokeAt: row.revoke_at,
    revocationReason: row.revocation_reason,
    suspendedAt: row.suspended_at,
    supersededBy: row.superseded_by,
  };
}

/** What validation needs from D1: the license's state and the tenant's oldest accepted key. */
export interface ValidationState {
  license: LicenseState | null;
  minKeyVersion: number;
}

/** One read, which a nearby read replica may answer. */
export async function readValidationState(
  db: Queryable,
  tenantId: string,
  licenseId: string,
  now: string,
): Promise<ValidationState> {
  const row = await db
    .prepare(
      `SELECT COALESCE(k.min_version, 1) AS min_key_version, ${STATE_COLUMNS}
       FROM (SELECT ?3 AS tenant_id) AS t
       LEFT JOIN key_state AS k ON k.tenant_id = t.tenant_id
       LEFT JOIN licenses AS l ON l.tenant_id = t.tenant_id AND l.license_id = ?2`,
    )
    .bind(now, licenseId, tenantId)
    .first<Omit<StateRow, "license_id"> & { license_id: string | null; min_key_version: number }>();
  const found = row?.license_id ? toState({ ...row, license_id: row.license_id }) : null;
  return { license: found, minKeyVersion: row?.min_key_version ?? 1 };
}

export async function readLicense(
  db: Queryable,
  tenantId: string,
  licenseId: string,
  now: string,
): Promise<StoredLicense | null> {
  const row = await db
    .prepare(
      `SELECT ${STATE_COLUMNS}, document FROM licenses WHERE license_id = ?2 AND tenant_id = ?3`,
    )
    .bind(now, licenseId, tenantId)
    .first<StateRow & { document: string }>();
  return row ? { license: JSON.parse(row.document) as License, state: toState(row) } : null;
}

export async function readHistory(
  db: Queryable,
  tenantId: string,
  licenseId: string,
): Promise<HistoryEntry[]> {
  const { results } = await db
    .prepare(
      `SELECT event, reason, actor, request_id, occurred_at, effective_at FROM license_events
       WHERE license_id = ?1 AND tenant_id = ?2 ORDER BY event_id`,
    )
    .bind(licenseId, tenantId)
    .run<HistoryEntry>();
  return results;
}

export interface ListFilter {
  customer?: string | undefined;
  status?: LicenseStatus | undefined;
  /** Keyset position: licenses strictly after this one in the listing order. */
  after?: { issuedAt: string; licenseId: string } | undefined;
  offset: number;
  limit: number;
}

/** Newest first; ties on issued_at are broken by license id so that paging is stable. */
export async function listLicenses(
  db: Queryable,
  tenantId: string,
  filter: ListFilter,
  now: string,
): Promise<StoredLicense[]> {
  const { results } = await db
    .prepare(
      `SELECT * FROM (SELECT ${STATE_COLUMNS}, document, issued_at FROM licenses
         WHERE tenant_id = ?2 AND (?3 IS NULL OR customer = ?3)
           AND (?5 IS NULL OR (issued_at, license_id) < (?5, ?6)))
       WHERE (?4 IS NULL OR status = ?4)
       ORDER BY issued_at DESC, license_id DESC LIMIT ?7 OFFSET ?8`,
    )
    .bind(
      now,
      tenantId,
      filter.customer ?? null,
      filter.status ?? null,
      filter.after?.issuedAt ?? null,
      filter.after?.licenseId ?? null,
      filter.limit,
      filter.offset,
    )
    .run<StateRow & { document: string }>();
  return results.map((row) => ({
    license: JSON.parse(row.document) as License,
    state: toState(row),
  }));
}

const INSERT_LICENSE = `INSERT INTO licenses (license_id, tenant_id, customer, issued_at,
    expires_at, not_before, key_version, renewed_from, document, updated_at, last_request_id)
  SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11`;

function insertRow(
  db: Queryable,
  license: License,
  change: Change,
  guard = "",
): D1PreparedStatement {
  return db
    .prepare(`${INSERT_LICENSE} ${guard}`)
    .bind(
      license.license_id,
      change.tenantId,
      license.customer,
      license.issued_at,
      license.expires_at,
      license.not_before ?? null,
      license.key_version,
      license.renewed_from ?? null,
      JSON.stringify(license),
      change.at,
      change.requestId,
    );
}

/** Statements that store a newly signed license and its first history entry. */
export function insertLicense(
  db: Queryable,
  license: License,
  change: Change,
): D1PreparedStatement[] {
  return [insertRow(db, license, change), recordEvent(db, license.license_id, change, "issued")];
}

/**
 * Renewal as one batch: the old license is marked superseded only if nothing superseded,
 * suspended or revoked it meanwhile, and the new one is stored only if that mark is this
 * renewal's. Either both rows change or neither does: the first statement's row count says which.
 */
export function renewStatements(
  db: Queryable,
  renewed: License & { renewed_from: string },
  change: Change,
): D1PreparedStatement[] {
  const previousId = renewed.renewed_from;
  const supersede = db
    .prepare(
      `UPDATE licenses SET superseded_by = ?1, updated_at = ?2, last_request_id = ?3
       WHERE license_id = ?4 AND tenant_id = ?5 AND superseded_by IS NULL
         AND suspended_at IS NULL AND (revoke_at IS NULL OR revoke_at > ?2)`,
    )
    .bind(renewed.license_id, change.at, change.requestId, previousId, change.tenantId);
  return [
    supersede,
    recordEvent(db, previousId, change, "superseded"),
    // ?8 is renewed_from and ?1 the new license id in INSERT_LICENSE's parameters.
    insertRow(
      db,
      renewed,
      change,
      "WHERE EXISTS (SELECT 1 FROM licenses WHERE license_id = ?8 AND superseded_by = ?1)",
    ),
    recordEvent(db, renewed.license_id, change, "renewed"),
  ];
}

/** The update half of a state change; its history entry comes from `recordEvent`. */
export function stateChange(
  db: Queryable,
  licenseId: string,
  change: Change,
  action:
    | { kind: "revoke"; reason: string; effectiveAt: string }
    | { kind: "suspend" }
    | { kind: "reinstate" },
): D1PreparedStatement {
  const notRevoked = "(revoke_at IS NULL OR revoke_at > ?1)";
  const where = `WHERE license_id = ?2 AND tenant_id = ?3`;
  const mark = "updated_at = ?1, last_request_id = ?4";
  switch (action.kind) {
    case "revoke":
      // A scheduled revocation may be moved; one already in force is final.
      return db
        .prepare(
          `UPDATE licenses SET revoke_at = ?5, revocation_reason = ?6, ${mark}
           ${where} AND ${notRevoked}`,
        )
        .bind(
          change.at,
          licenseId,
          change.tenantId,
          change.requestId,
          action.effectiveAt,
          action.reason,
        );
    case "suspend":
      return db
        .prepare(
          `UPDATE licenses SET suspended_at = ?1, ${mark}
           ${where} AND suspended_at IS NULL AND superseded_by IS NULL AND ${notRevoked}
             AND expires_at >= ?1`,
        )
        .bind(change.at, licenseId, change.tenantId, change.requestId);
    case "reinstate":
      return db
        .prepare(
          `UPDATE licenses SET suspended_at = NULL, ${mark}
           ${where} AND suspended_at IS NOT NULL AND ${notRevoked} AND expires_at >= ?1`,
        )
        .bind(change.at, licenseId, change.tenantId, change.requestId);
  }
}

/**
 * A history entry that is written only if the same batch's update of the license took place,
 * which that update marks by setting last_request_id to this request.
 */
export function recordEvent(
  db: Queryable,
  licenseId: string,
  change: Change,
  event: LicenseEvent,
  reason: string | null = null,
  effectiveAt: string | null = null,
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO license_events
         (license_id, tenant_id, event, reason, actor, request_id, occurred_at, effective_at)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8
       WHERE EXISTS (SELECT 1 FROM licenses WHERE license_id = ?1 AND last_request_id = ?6)`,
    )
    .bind(
      licenseId,
      change.tenantId,
      event,
      reason,
      change.actor,
      change.requestId,
      change.at,
      effectiveAt,
    );
}
