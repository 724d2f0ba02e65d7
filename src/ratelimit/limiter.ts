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
    ctx.storage.sql.exec(
      `CREATE TABLE IF NOT EXISTS windows (
         name TEXT PRIMARY KEY, started_at INTEGER NOT NULL, count INTEGER NOT NULL)`,
    );
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
      `INSERT INTO windows (name, started_at, count) VALUES (?1, ?2, ?3)
       ON CONFLICT (name) DO UPDATE SET started_at = ?2, count = ?3`,
      name,
      current.started_at,
      current.count + 1,
    );
    return { allowed: true, limit, remaining: limit - current.count - 1, resetSeconds };
  }
}
