import type { Keyring } from "../keys/keyring.ts";
import type { VaultClient } from "../vault/client.ts";
import type { Sessions } from "./sessions.ts";
import type { Change } from "./store.ts";

/** Everything the license services need for one request. */
export interface LicenseContext {
  sessions: Sessions;
  vault: VaultClient;
  keyring: Keyring;
  tenantId: string;
  issuer: string;
  stateCacheMs: number;
  batchIssueMax: number;
  listLimitMax: number;
  now: () => number;
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
