import { DurableObject } from "cloudflare:workers";
import type { MetricsSnapshot } from "./registry.ts";
import { emptySnapshot, merge } from "./registry.ts";

/**
 * The service's totals. Isolates add what they counted a few seconds at a time, so requests
 * themselves never write here; /metrics reads the sum.
 */
export class MetricsStore extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS totals (id INTEGER PRIMARY KEY CHECK (id = 1), snapshot TEXT)",
    );
  }

  #read(): MetricsSnapshot {
    const row = this.ctx.storage.sql
      .exec<{ snapshot: string }>("SELECT snapshot FROM totals WHERE id = 1")
      .toArray()[0];
    return row ? (JSON.parse(row.snapshot) as MetricsSnapshot) : emptySnapshot();
  }

  add(delta: MetricsSnapshot): void {
    const totals = this.#read();
    merge(totals, delta);
    this.ctx.storage.sql.exec(
      `INSERT INTO totals (id, snapshot) VALUES (1, ?1)
       ON CONFLICT (id) DO UPDATE SET snapshot = ?1`,
      JSON.stringify(totals),
    );
  }

  totals(): MetricsSnapshot {
    return this.#read();
  }
}
