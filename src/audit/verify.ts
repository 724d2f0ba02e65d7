import type { VerificationKey } from "../crypto/verify.ts";
import { verifyVaultSignature } from "../crypto/verify.ts";
import { signatureOptions } from "../keys/profiles.ts";
import { type CheckpointRow, checkpointBytes } from "./checkpoint.ts";
import type { AuditRow } from "./entry.ts";
import { chainHash, contentOf, GENESIS_HASH, macMatches } from "./entry.ts";
import type { ChainHead } from "./ledger.ts";

export type ProblemKind =
  | "changed"
  | "removed"
  | "inserted"
  | "checkpoint_invalid"
  | "head_mismatch";

export interface ChainProblem {
  kind: ProblemKind;
  seq: number | null;
  entry_id: number | null;
  detail: string;
}

export interface ChainReport {
  valid: boolean;
  entries_checked: number;
  checkpoints_checked: number;
  head: ChainHead;
  /** The first entry that was changed, removed or inserted, in chain order. */
  first_problem: ChainProblem | null;
}

const PAGE = 500;

/**
 * Recomputes a tenant's chain from D1 and compares it with what cannot be rewritten there: the
 * entries' MACs, the ledger's head and the checkpoints Vault signed.
 */
export async function verifyChain(
  db: D1Database,
  tenantId: string,
  macKey: CryptoKey,
  ledgerHead: ChainHead | null,
  checkpointKey: (version: number) => Promise<VerificationKey | undefined>,
): Promise<ChainReport> {
  let expected = { seq: 0, hash: GENESIS_HASH };
  let checked = 0;
  let problem: ChainProblem | null = null;
  const hashes = new Map<number, string>();

  // Entries the ledger never sealed because no valid MAC vouches for them were put there by hand.
  const forged = await db
    .prepare(
      `SELECT * FROM audit_log WHERE tenant_id = ?1 AND seq IS NULL ORDER BY entry_id LIMIT 50`,
    )
    .bind(tenantId)
    .run<AuditRow>();

  for (let after = 0; problem === null; ) {
    const { results } = await db
      .prepare(
        `SELECT * FROM audit_log WHERE tenant_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ${PAGE}`,
      )
      .bind(tenantId, after)
      .run<AuditRow & { seq: number }>();
    if (results.length === 0) {
      break;
    }
    for (const row of results) {
      after = row.seq;
      checked += 1;
      const at = { seq: row.seq, entry_id: row.entry_id };
      if (row.seq !== expected.seq + 1) {
        const missing = expected.seq + 1;
        problem = {
          kind: "removed",
          seq: missing,
          entry_id: null,
          detail: `entry ${missing} is missing`,
        };
        break;
      }
      // Rows past the ledger's head were never sealed by it: they were put there by hand.
      if (ledgerHead && row.seq > ledgerHead.seq) {
        problem = { kind: "inserted", ...at, detail: "beyond the head the ledger sealed" };
        break;
      }
      const content = contentOf(row);
      const hash = await chainHash(expected.hash, content);
      const authentic = await macMatches(macKey, content, row.mac);
      if (!authentic || row.prev_hash !== expected.hash || row.hash !== hash) {
        problem = { kind: "changed", ...at, detail: "its content no longer matches its hash" };
        break;
      }
      expected = { seq: row.seq, hash };
      hashes.set(row.seq, hash);
    }
  }

  if (problem === null && ledgerHead && ledgerHead.seq !== expected.seq) {
    const kind = ledgerHead.seq > expected.seq ? "removed" : "inserted";
    problem = {
      kind,
      seq: Math.min(ledgerHead.seq, expected.seq) + 1,
      entry_id: null,
      detail: `the ledger's head is ${ledgerHead.seq}, the table's ${expected.seq}`,
    };
  } else if (problem === null && ledgerHead && ledgerHead.hash !== expected.hash) {
    problem = {
      kind: "head_mismatch",
      seq: expected.seq,
      entry_id: null,
      detail: "head hash differs",
    };
  }
  const firstForged = forged.results[0];
  if (problem === null && firstForged) {
    problem = {
      kind: "inserted",
      seq: null,
      entry_id: firstForged.entry_id,
      detail: "an entry without a valid MAC that the ledger refused to seal",
    };
  }

  let checkpointsChecked = 0;
  const { results: checkpoints } = await db
    .prepare("SELECT * FROM audit_checkpoints WHERE tenant_id = ?1 ORDER BY seq")
    .bind(tenantId)
    .run<CheckpointRow>();
  for (const checkpoint of checkpoints) {
    if (problem !== null) {
      break;
    }
    checkpointsChecked += 1;
    const key = await checkpointKey(checkpoint.key_version);
    const signed =
      key !== undefined &&
      (await verifyVaultSignature(
        key,
        checkpointBytes(checkpoint),
        checkpoint.signature,
        signatureOptions(key.keyType),
      ).catch(() => false));
    const chained = hashes.get(checkpoint.seq) === checkpoint.hash;
    if (!signed || !chained) {
      problem = {
        kind: "checkpoint_invalid",
        seq: checkpoint.seq,
        entry_id: null,
        detail: signed ? "the chain no longer reaches this checkpoint" : "bad signature",
      };
    }
  }

  return {
    valid: problem === null,
    entries_checked: checked,
    checkpoints_checked: checkpointsChecked,
    head: expected,
    first_problem: problem,
  };
}
