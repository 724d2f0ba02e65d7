import type { AuditWriter } from "../audit/writer.ts";
import type { Keyring } from "../keys/keyring.ts";
import type { VaultClient } from "../vault/client.ts";
import type { Sessions } from "./sessions.ts";
import type { Change, Queryable } from "./store.ts";

/** The response of a request that carried an Idempotency-Key, recorded with what it stored. */
export interface IdempotencyRecord {
  complete(
    db: Queryable,
    status: number,
    body: unknown,
    onlyIfLicense?: string,
  ): D1PreparedStatement;
}

/** What a signing operation answers, and with which status, for the route and for retries. */
export interface Outcome<Body> {
  status: 200 | 201;
  body: Body;
}

/** Everything the license services need for one request. */
export interface LicenseContext {
  sessions: Sessions;
  vault: VaultClient;
  keyring: Keyring;
  tenantId: string;
  issuer: string;
  stateCacheMs: number;
  verifyAt: "edge" | "vault";
  batchIssueMax: number;
  listLimitMax: number;
  now: () => number;
  idempotency: IdempotencyRecord | undefined;
  audit: AuditWriter;
}

/** Who is acting, for the history of every license they change. */
export interface Actor {
  actor: string;
  requestId: string;
}

export function changeOf(ctx: LicenseContext, actor: Actor): Change {
  return {
    tenantId: ctx.tenantId,
    actor: actor.actor,
    requestId: actor.requestId,
    at: new Date(ctx.now()).toISOString(),
  };
}

/** The statement recording `outcome` for an Idempotency-Key, if the request carried one. */
export function recordOutcome(
  ctx: LicenseContext,
  db: Queryable,
  outcome: Outcome<unknown>,
  onlyIfLicense?: string,
): D1PreparedStatement[] {
  return ctx.idempotency
    ? [ctx.idempotency.complete(db, outcome.status, outcome.body, onlyIfLicense)]
    : [];
}
