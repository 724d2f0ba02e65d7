import { createApp } from "./app.ts";
import { auditHousekeeping } from "./audit/scheduled.ts";
import { loadConfig } from "./config.ts";
import type { LicenseEvent } from "./events/types.ts";
import { log } from "./http/log.ts";
import { purgeExpired } from "./idempotency/store.ts";
import { deliverBatch } from "./webhooks/consumer.ts";
import { emitScheduledEvents } from "./webhooks/expiry.ts";

export { AuditLedger } from "./audit/ledger.ts";
export { MetricsStore } from "./metrics/store.ts";
export { RateLimiter } from "./ratelimit/limiter.ts";

const app = createApp();

export default {
  fetch: app.fetch,

  /** Housekeeping on the cron schedule: drop Idempotency-Key records past their expiry. */
  async scheduled(controller, env): Promise<void> {
    const purged = await purgeExpired(env.DB, new Date(controller.scheduledTime).toISOString());
    log("info", "idempotency keys purged", { purged, cron: controller.cron });
    const published = await emitScheduledEvents(env, controller.scheduledTime);
    log("info", "scheduled license events published", { published, cron: controller.cron });
    await auditHousekeeping(env, loadConfig(env), controller.scheduledTime);
  },

  /** Webhook deliveries from the license event queue, and bookkeeping of its dead letters. */
  queue: (batch, env) => deliverBatch(batch as MessageBatch<LicenseEvent>, env),
} satisfies ExportedHandler<Env>;
