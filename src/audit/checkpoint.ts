import { canonicalBytes } from "../crypto/canonical.ts";
import type { Keyring } from "../keys/keyring.ts";
import { signParams } from "../keys/profiles.ts";
import type { VaultClient } from "../vault/client.ts";
import type { ChainHead } from "./ledger.ts";

export interface CheckpointRow {
  tenant_id: string;
  seq: number;
  hash: string;
  signed_at: string;
  key_name: string;
  key_version: number;
  signature: string;
}

/** What Vault signs for a checkpoint: the tenant, the head and the time, as canonical JSON. */
export function checkpointBytes(row: Omit<CheckpointRow, "signature" | "key_version">): Uint8Array {
  return canonicalBytes({
    kind: "audit-checkpoint",
    tenant_id: row.tenant_id,
    seq: row.seq,
    hash: row.hash,
    signed_at: row.signed_at,
    key_name: row.key_name,
  });
}

/** Signs the chain head with the tenant's Transit key and stores it; no-op for an empty chain. */
export async function createCheckpoint(
  db: D1Database,
  tenantId: string,
  head: ChainHead,
  keyring: Keyring,
  vault: VaultClient,
  now: number,
): Promise<CheckpointRow | null> {
  if (head.seq === 0) {
    return null;
  }
  const key = await keyring.signingKey();
  const unsigned = {
    tenant_id: tenantId,
    seq: head.seq,
    hash: head.hash,
    signed_at: new Date(now).toISOString(),
    key_name: key.name,
  };
  const signed = await vault.sign(
    key.name,
    checkpointBytes(unsigned),
    signParams(key.type, key.latestVersion),
  );
  const row: CheckpointRow = {
    ...unsigned,
    key_version: signed.keyVersion,
    signature: signed.signature,
  };
  await db
    .prepare(
      `INSERT INTO audit_checkpoints
         (tenant_id, seq, hash, signed_at, key_name, key_version, signature)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (tenant_id, seq) DO NOTHING`,
    )
    .bind(
      row.tenant_id,
      row.seq,
      row.hash,
      row.signed_at,
      row.key_name,
      row.key_version,
      row.signature,
    )
    .run();
  return row;
}

export async function latestCheckpoint(
  db: D1Database,
  tenantId: string,
): Promise<CheckpointRow | null> {
  return await db
    .prepare("SELECT * FROM audit_checkpoints WHERE tenant_id = ?1 ORDER BY seq DESC LIMIT 1")
    .bind(tenantId)
    .first<CheckpointRow>();
}
