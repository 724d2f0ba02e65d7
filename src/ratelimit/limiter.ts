import { DurableObject } from "cloudflare:workers";

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the current window ends and the budget is full again. */
  resetSeconds: number;
}

/**
 * One object per limited identity (a client IP, an API key). A Durable Object runs one request
 * at a time against its own SQLite storage, so the count is exact under concurrency: with a
 * limit of N, exactly N of N+k simultaneous requests are let through.
 */
export class RateLimiter extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    sql.exec(
      `CREATE TABLE IF NOT EXISTS windows (
         name TEXT PRIMARY KEY, started_at INTEGER NOT NULL, count INTEGER NOT NULL,
         window_ms INTEGER NOT NULL)`,
    );
    // Limiters created before windows recorded their length get the column; their windows
    // then end at once, which only ever gives a caller a fresh budget early.
    const columns = sql.exec<{ name: string }>("PRAGMA table_info(windows)").toArray();
    if (!columns.some((column) => column.name === "window_ms")) {
      sql.exec("ALTER TABLE windows ADD COLUMN window_ms INTEGER NOT NULL DEFAULT 0");
    }
  }

  /** Counts one request against a fixed window of `windowMs` holding at most `limit` requests. */
  hit(name: string, limit: number, windowMs: number): RateLimitDecision {
    const now = Date.now();
    const sql = this.ctx.storage.sql;
    const row = sql
      .exec<{ started_at: number; count: number }>(
        "SELECT started_at, count FROM windows WHERE name = ?",
        name,
      )
      .toArray()[0];
    const current = row && now - row.started_at < windowMs ? row : { started_at: now, count: 0 };
    const resetSeconds = Math.max(1, Math.ceil((current.started_at + windowMs - now) / 1_000));
    if (current.count >= limit) {
      return { allowed: false, limit, remaining: 0, resetSeconds };
    }
    sql.exec(
      `INSERT INTO windows (name, started_at, count, window_ms) VALUES (?1, ?2, ?3, ?4)
       ON CONFLICT (name) DO UPDATE SET started_at = ?2, count = ?3, window_ms = ?4`,
      name,
      current.started_at,
      current.count + 1,
      windowMs,
    );
    // Once the window is over its row is dead weight: the alarm clears it.
    void this.ctx.storage.setAlarm(current.started_at + windowMs);
    return { allowed: true, limit, remaining: limit - current.count - 1, resetSeconds };
  }

  /** Deletes windows that have ended; an idle limiter ends up holding nothing. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    const sql = this.ctx.storage.sql;
    sql.exec("DELETE FROM windows WHERE started_at + window_ms <= ?1", now);
    const next = sql
      .exec<{ ends: number | null }>("SELECT MIN(started_at + window_ms) AS ends FROM windows")
      .toArray()[0]?.ends;
    if (next !== null && next !== undefined) {
      await this.ctx.storage.setAlarm(next);
    }
  }

  /** How many windows this limiter still stores; for operators and tests. */
  storedWindows(): number {
    return (
      this.ctx.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM windows").toArray()[0]
        ?.n ?? 0
    );
  }
}
