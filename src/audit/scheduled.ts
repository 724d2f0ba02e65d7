import type { Config } from "../config.ts";
import { log } from "../http/log.ts";
import { tenantKeyring, tenantVault } from "../tenants/clients.ts";
import { findTenant } from "../tenants/store.ts";
import { createCheckpoint, latestCheckpoint } from "./checkpoint.ts";
import { publishAuditEvents } from "./service.ts";

/** Events not sent by their request within this time are sent by the cron. */
const PUBLISH_GRACE_MS = 60_000;

/**
 * The cron's audit work: seal what requests left unsealed, publish events they did not
 * publish, and sign a checkpoint of every chain that moved since its last one, once the
 * configured interval has passed. Each step is safe to repeat.
 */
export async function auditHousekeeping(env: Env, config: Config, now: number): Promise<void> {
  const db = env.DB;
  const { results } = await db
    .prepare("SELECT tenant_id FROM tenants")
    .run<{ tenant_id: string }>();

  for (const { tenant_id: tenantId } of results) {
    try {
      const head = await env.AUDIT_LEDGER.getByName(tenantId).seal(tenantId);
      const last = await latestCheckpoint(db, tenantId);
      const due = !last || now - Date.parse(last.signed_at) >= config.auditCheckpointMs;
      const tenant = await findTenant(db, tenantId, now);
      if (tenant && due && head.seq > (last?.seq ?? 0)) {
        const vault = tenantVault(config, tenant);
        const keyring = tenantKeyring(db, config, tenant, vault);
        await createCheckpoint(db, tenantId, head, keyring, vault, now);
      }
    } catch (error) {
      log("error", "audit housekeeping failed", {
        tenant: tenantId,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  const olderThan = new Date(now - PUBLISH_GRACE_MS).toISOString();
  await publishAuditEvents(db, env.EVENTS, { olderThan });
}
