import { log } from "../http/log.ts";
import { publishAuditEvents } from "./service.ts";

/**
 * What follows a committed change: the tenant's ledger seals the new entries, and their events
 * go to the webhook queue. Failures are logged and left to the cron, which does both again.
 */
export async function afterCommit(env: Env, tenantId: string, requestId: string): Promise<void> {
  const results = await Promise.allSettled([
    env.AUDIT_LEDGER.getByName(tenantId).seal(tenantId),
    publishAuditEvents(env.DB, env.EVENTS, { requestId }),
  ]);
  for (const result of results) {
    if (result.status === "rejected") {
      log("warn", "audit follow-up deferred to the cron", {
        request_id: requestId,
        tenant: tenantId,
        error: result.reason instanceof Error ? result.reason.message : String(result.reason),
      });
    }
  }
}
