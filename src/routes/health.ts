import { Hono } from "hono";
import type { AppEnv } from "../http/env.ts";
import { vaultClient } from "../http/services.ts";
import { VaultError } from "../vault/errors.ts";

export const API_VERSION = "1";
// Workers freeze the clock outside requests, so an isolate's start is its first request.
let startedAt: number | undefined;

/**
 * Liveness and readiness in one answer: 200 when licenses can be issued (Vault initialized,
 * unsealed and reachable; D1 answering), 503 otherwise. Validation keeps working while this
 * reports 503, as long as D1 answers.
 */
export const healthRoutes = new Hono<AppEnv>().get("/", async (c) => {
  startedAt ??= Date.now();
  const config = c.get("config");
  const [vault, database] = await Promise.all([
    vaultClient(config)
      .health()
      .then((h) => ({ reachable: true, ...h, error: null }))
      .catch((error: unknown) => ({
        reachable: false,
        initialized: null,
        sealed: null,
        standby: null,
        performanceStandby: null,
        version: undefined,
        error: error instanceof VaultError ? error.kind : "unreachable",
      })),
    c.env.DB.prepare("SELECT 1 AS ok")
      .first<{ ok: number }>()
      .then((row) => row?.ok === 1)
      .catch(() => false),
  ]);
  const canIssue = vault.reachable && vault.initialized === true && vault.sealed === false;
  const healthy = canIssue && database;

  return c.json(
    {
      status: healthy ? "ok" : "degraded",
      can_issue: canIssue,
      can_validate: database,
      vault: {
        reachable: vault.reachable,
        initialized: vault.initialized,
        sealed: vault.sealed,
        standby: vault.standby,
        performance_standby: vault.performanceStandby,
        version: vault.version ?? null,
        error: vault.error,
      },
      database: { reachable: database },
      api_version: API_VERSION,
      uptime_seconds: Math.floor((Date.now() - (startedAt ?? Date.now())) / 1_000),
      timestamp: new Date().toISOString(),
    },
    healthy ? 200 : 503,
  );
});
