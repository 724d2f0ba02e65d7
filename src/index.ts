import { createApp } from "./app.ts";
import { log } from "./http/log.ts";
import { purgeExpired } from "./idempotency/store.ts";

export { RateLimiter } from "./ratelimit/limiter.ts";

const app = createApp();

export default {
  fetch: app.fetch,

  /** Housekeeping on the cron schedule: drop Idempotency-Key records past their expiry. */
  async scheduled(controller, env): Promise<void> {
    const purged = await purgeExpired(env.DB, new Date(controller.scheduledTime).toISOString());
    log("info", "idempotency keys purged", { purged, cron: controller.cron });
  },
} satisfies ExportedHandler<Env>;
