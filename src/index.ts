import { createApp } from "./app.ts";

export { RateLimiter } from "./ratelimit/limiter.ts";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
