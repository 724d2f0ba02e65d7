import { DurableObject } from "cloudflare:workers";
import { loadConfig } from "../config.ts";
import type { AuditRow } from "./entry.ts";
import { chainHash, contentOf, GENESIS_HASH, importMacKey, macMatches } from "./entry.ts";

export interface ChainHead {
  seq: number;
  hash: string;
}

interface LedgerState extends ChainHead {
  /** Highest audit_log entry_id looked at; entries are sealed in entry_id (commit) order. */
  scanned: number;
}

const BATCH = 100;

/**
 * One per tenant: seals the tenant's audit entries into a hash chain, one caller at a time, in
 * the order D1 committed them, so the chain never forks. The head it keeps in its own storage
 * is what a rewritten D1 table cannot match.
 */
export class AuditLedger extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      `CREATE TABLE IF NOT EXISTS ledger (
         id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL,
         scanned INTEGER NOT NULL)`,
    );
  }

  /** The head as this ledger last sealed it; null before the first entry. */
  head(): ChainHead | null {
    const state = this.#state();
    return state ? { seq: state.seq, hash: state.hash } : null;
  }

  /** Seals every pending entry of `tenantId` and returns the chain's head. */
  async seal(tenantId: string): Promise<ChainHead> {
    // Nothing else runs in this object until sealing is done: sealing is strictly sequential.
    return await this.ctx.blockConcurrencyWhile(() => this.#seal(tenantId));
  }

  #state(): LedgerState | null {
    const row = this.ctx.storage.sql
      .exec<{ seq: number; hash: string; scanned: number }>(
        "SELECT seq, hash, scanned FROM ledger WHERE id = 1",
      )
      .toArray()[0];
    return row ?? null;
  }

  #save(state: LedgerState): void {
    this.ctx.storage.sql.exec(
      `INSERT INTO ledger (id, seq, hash, scanned) VALUES (1, ?1, ?2, ?3)
       ON CONFLICT (id) DO UPDATE SET seq = ?1, hash = ?2, scanned = ?3`,
      state.seq,
      state.hash,
      state.scanned,
    );
  }

  async #seal(tenantId: string): Promise<ChainHead> {
    const db = this.env.DB;
    const macKey = await importMacKey(loadConfig(this.env).auditMacSecret);
    let state = await this.#catchUp(db, tenantId, this.#state());

    for (;;) {
      const { results } = await db
        .prepare(
          `SELECT * FROM audit_log WHERE tenant_id = ?1 AND seq IS NULL AND entry_id > ?2
           ORDER BY entry_id LIMIT ${BATCH}`,
        )
        .bind(tenantId, state.scanned)
        .run<AuditRow>();
      if (results.length === 0) {
        return { seq: state.seq, hash: state.hash };
      }
      const updates: D1PreparedStatement[] = [];
      let next = state;
      for (const row of results) {
        const content = contentOf(row);
        next = { ...next, scanned: row.entry_id };
        // An entry the Worker did not write (no valid MAC) is never sealed; verify reports it.
        if (!(await macMatches(macKey, content, row.mac))) {
          continue;
        }
        const seq = next.seq + 1;
        const hash = await chainHash(next.hash, content);
        updates.push(
          db
            .prepare(
              `UPDATE audit_log SET seq = ?1, prev_hash = ?2, hash = ?3
               WHERE entry_id = ?4 AND seq IS NULL`,
            )
            .bind(seq, next.hash, hash, row.entry_id),
        );
        next = { seq, hash, scanned: row.entry_id };
      }
      if (updates.length > 0) {
        await db.batch(updates);
      }
      this.#save(next);
      state = next;
    }
  }

  /**
   * Starts from the stored head, or from D1 on first use. If a previous run sealed entries in
   * D1 but stopped before saving its head, those entries chain from the head: adopt them.
   */
  async #catchUp(
    db: D1Database,
    tenantId: string,
    state: LedgerState | null,
  ): Promise<LedgerState> {
    let current = state ?? { seq: 0, hash: GENESIS_HASH, scanned: 0 };
    const { results } = await db
      .prepare(
        `SELECT entry_id, seq, prev_hash, hash FROM audit_log
         WHERE tenant_id = ?1 AND seq > ?2 ORDER BY seq`,
      )
      .bind(tenantId, current.seq)
      .run<{ entry_id: number; seq: number; prev_hash: string; hash: string }>();
    for (const row of results) {
      if (row.seq !== current.seq + 1 || row.prev_hash !== current.hash) {
        break;
      }
      current = { seq: row.seq, hash: row.hash, scanned: Math.max(current.scanned, row.entry_id) };
    }
    if (current !== state) {
      this.#save(current);
    }
    return current;
  }
}
