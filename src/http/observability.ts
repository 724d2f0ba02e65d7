import { createMiddleware } from "hono/factory";
import { restore, takePending } from "../metrics/recorder.ts";
import type { AppEnv } from "./env.ts";
import { log } from "./log.ts";

/**
 * After every request: one log line (who, what, outcome, latency, time spent in Vault), one
 * Analytics Engine data point, and now and then this isolate's counts handed to the metrics
 * store, so that no request pays a storage write for its metrics.
 */
export const observability = createMiddleware<AppEnv>(async (c, next) => {
  const started = performance.now();
  await next();
  const duration = performance.now() - started;
  const principal = c.get("principal");
  const tenant = principal?.tenantId ?? "default";
  const route = c.req.routePath;

  log(c.res.status >= 500 ? "error" : "info", "request", {
    request_id: c.get("requestId"),
    tenant,
    principal: principal?.keyId,
    method: c.req.method,
    route,
    path: c.req.path,
    status: c.res.status,
    duration_ms: Math.round(duration * 1_000) / 1_000,
    vault_ms: c.get("vaultMs"),
  });

  try {
    c.env.METRICS?.writeDataPoint({
      indexes: [tenant],
      blobs: [c.req.method, route, String(c.res.status), tenant],
      doubles: [duration, c.get("vaultMs") ?? 0],
    });
  } catch {
    // Analytics are best effort: a full or missing dataset never fails a request.
  }

  const pending = takePending(Date.now());
  if (pending) {
    const flush = c.env.METRICS_STORE.getByName("totals")
      .add(pending)
      .catch(() => restore(pending));
    c.executionCtx.waitUntil(flush);
  }
});
