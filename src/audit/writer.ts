import type { Queryable } from "../licenses/store.ts";
import type { AuditContent } from "./entry.ts";
import { entryMac } from "./entry.ts";

/** Audited actions. License ones double as webhook events once sealed and published. */
export type AuditAction =
  | "license.issued"
  | "license.renewed"
  | "license.superseded"
  | "license.revoked"
  | "license.revocation_scheduled"
  | "license.suspended"
  | "license.reinstated"
  | "credential.created"
  | "credential.revoked"
  | "key.created"
  | "key.rotated"
  | "key.min_version_set"
  | "tenant.created";

/** A condition (an SQL query with parameters ?10 onwards) for writing an entry at all. */
export interface AuditGuard {
  sql: string;
  params: unknown[];
}

/** The license was changed by this request's batch (which marks it with the request id, ?6). */
function licenseChangedBy(licenseId: string): AuditGuard {
  return {
    sql: "SELECT 1 FROM licenses WHERE license_id = ?10 AND last_request_id = ?6",
    params: [licenseId],
  };
}

export interface AuditWriterOptions {
  tenantId: string;
  actor: string;
  requestId: string;
  macKey: () => Promise<CryptoKey>;
  now: () => number;
  /** Runs once the request's batch is committed: seals the chain, publishes events. */
  afterCommit: () => void;
}

/**
 * Writes the audit entries of one request. Entries go into the same D1 batch as the change they
 * record; with a guard, an entry is written only if the batch's guarded change took place.
 */
export class AuditWriter {
  readonly #options: AuditWriterOptions;

  constructor(options: AuditWriterOptions) {
    this.#options = options;
  }

  get tenantId(): string {
    return this.#options.tenantId;
  }

  /**
   * An entry for the batch that makes the change. With `onlyIf` (a license id, or a guard), it
   * is written only if that change took place.
   */
  async entry(
    db: Queryable,
    action: AuditAction,
    target: string,
    fields: Record<string, unknown>,
    onlyIf?: string | AuditGuard,
  ): Promise<D1PreparedStatement> {
    const { tenantId, actor, requestId } = this.#options;
    const content: AuditContent = {
      event_id: `evt_${crypto.randomUUID().replaceAll("-", "")}`,
      tenant_id: tenantId,
      action,
      target,
      actor,
      request_id: requestId,
      occurred_at: new Date(this.#options.now()).toISOString(),
      fields,
    };
    const mac = await entryMac(await this.#options.macKey(), content);
    const condition = typeof onlyIf === "string" ? licenseChangedBy(onlyIf) : onlyIf;
    const params: unknown[] = [
      content.event_id,
      tenantId,
      action,
      target,
      actor,
      requestId,
      content.occurred_at,
      JSON.stringify(fields),
      mac,
    ];
    const guard = condition ? `WHERE EXISTS (${condition.sql})` : "";
    params.push(...(condition?.params ?? []));
    return db
      .prepare(
        `INSERT INTO audit_log (event_id, tenant_id, action, target, actor, request_id,
           occurred_at, fields, mac)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 ${guard}`,
      )
      .bind(...params);
  }

  /** To be called after the batch holding this request's entries has committed. */
  committed(): void {
    this.#options.afterCommit();
  }
}
