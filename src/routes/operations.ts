import { Hono } from "hono";
import { every } from "hono/combine";
import { requireRole } from "../http/auth.ts";
import type { AppEnv } from "../http/env.ts";
import { rateLimit } from "../http/rate-limit.ts";
import { currentTenant, keyringFor, vaultClient } from "../http/services.ts";
import { takePending } from "../metrics/recorder.ts";
import { renderPrometheus } from "../metrics/registry.ts";
import { VaultError } from "../vault/errors.ts";

const admins = every(requireRole(["admin"]), rateLimit("read", "closed"));

type Status = "ok" | "degraded" | "down";

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: Math.round((performance.now() - started) * 1_000) / 1_000 };
}

/** Prometheus text: this service's counters and latency histograms, summed over isolates. */
export const metricsRoutes = new Hono<AppEnv>().get("/", admins, async (c) => {
  const store = c.env.METRICS_STORE.getByName("totals");
  const pending = takePending(Date.now(), true);
  if (pending) {
    await store.add(pending);
  }
  const totals = await store.totals();
  return c.body(renderPrometheus(totals), 200, {
    "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
  });
});

/** Each part the service depends on, with its state and latency; 503 when it cannot issue. */
export const detailedHealthRoutes = new Hono<AppEnv>().get("/", admins, async (c) => {
  const config = c.get("config");
  const db = c.env.DB;
  const tenant = await currentTenant(c);

  const [vault, database, backlog] = await Promise.all([
    timed(() => vaultClient(config, tenant).health())
      .then(({ value, ms }) => {
        const status: Status = !value.initialized || value.sealed ? "down" : "ok";
        return { status, latency_ms: ms, ...value, error: null as string | null };
      })
      .catch((error: unknown) => ({
        status: "down" as Status,
        latency_ms: null,
        error: error instanceof VaultError ? error.kind : "unreachable",
      })),
    timed(() => db.prepare("SELECT 1 AS ok").first())
      .then(({ ms }) => ({ status: "ok" as Status, latency_ms: ms }))
      .catch(() => ({ status: "down" as Status, latency_ms: null })),
    db
      .prepare(
        `SELECT
           (SELECT COUNT(*) FROM webhook_deliveries
              WHERE state IN ('pending', 'failed')) AS undelivered,
           (SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'dead') AS dead,
           (SELECT COUNT(*) FROM audit_log
              WHERE published_at IS NULL AND action LIKE 'license.%') AS unpublished,
           (SELECT COUNT(*) FROM audit_log WHERE seq IS NULL) AS unsealed`,
      )
      .first<{ undelivered: number; dead: number; unpublished: number; unsealed: number }>()
      .catch(() => null),
  ]);

  const keys = keyringFor(c, tenant).cacheState();
  const queueStatus: Status =
    backlog === null ? "down" : backlog.dead > 0 || backlog.undelivered > 100 ? "degraded" : "ok";
  const canIssue = vault.status === "ok" && database.status === "ok";
  return c.json(
    {
      status: canIssue ? (queueStatus === "ok" ? "ok" : "degraded") : "down",
      can_issue: canIssue,
      can_validate: database.status === "ok",
      vault,
      database,
      keys: { status: keys.cached_versions.length > 0 ? "ok" : "degraded", ...keys },
      events: { status: queueStatus, ...(backlog ?? {}) },
    },
    canIssue ? 200 : 503,
  );
});
