import type { TransitKey } from "../vault/client.ts";

export interface StoredPublicKey {
  version: number;
  keyType: string;
  publicKey: string;
}

/** D1 copy of the public keys read from Vault, so verification survives Vault being down. */
export async function loadPublicKeys(
  db: D1Database,
  tenantId: string,
  keyName: string,
): Promise<StoredPublicKey[]> {
  const { results } = await db
    .prepare(
      `SELECT key_version, key_type, public_key FROM public_keys
       WHERE tenant_id = ?1 AND key_name = ?2 ORDER BY key_version`,
    )
    .bind(tenantId, keyName)
    .run<{ key_version: number; key_type: string; public_key: string }>();
  return results.map((row) => ({
    version: row.key_version,
    keyType: row.key_type,
    publicKey: row.public_key,
  }));
}

/** Stores a key as read from Vault: every version's public key, and its newest version. */
export async function savePublicKeys(
  db: D1Database,
  tenantId: string,
  key: TransitKey,
  fetchedAt: string,
): Promise<void> {
  // A version's public key never changes in Vault, so rows already stored are left as they are.
  const insert = db.prepare(
    `INSERT INTO public_keys
       (tenant_id, key_name, key_version, key_type, public_key, created_at, fetched_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
     ON CONFLICT (tenant_id, key_name, key_version) DO NOTHING`,
  );
  await db.batch([
    recordLatestVersion(db, tenantId, key, fetchedAt),
    ...key.versions.map((v) =>
      insert.bind(
        tenantId,
        key.name,
        v.version,
        key.type,
        v.publicKey,
        v.createdAt ?? null,
        fetchedAt,
      ),
    ),
  ]);
}

export interface KeyState {
  keyName: string;
  keyType: string;
  latestVersion: number;
  minVersion: number;
}

export async function readKeyState(db: D1Database, tenantId: string): Promise<KeyState | null> {
  const row = await db
    .prepare(
      `SELECT key_name, key_type, latest_version, min_version FROM key_state WHERE tenant_id = ?1`,
    )
    .bind(tenantId)
    .first<{ key_name: string; key_type: string; latest_version: number; min_version: number }>();
  return row
    ? {
        keyName: row.key_name,
        keyType: row.key_type,
        latestVersion: row.latest_version,
        minVersion: row.min_version,
      }
    : null;
}

/**
 * Records the newest version Vault reported. Versions only grow, so a late writer holding an
 * older reading never moves the latest version back. A different key name (a tenant given a
 * new key) starts the record afresh.
 */
export function recordLatestVersion(
  db: D1Database,
  tenantId: string,
  key: TransitKey,
  at: string,
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO key_state
         (tenant_id, key_name, key_type, latest_version, min_version, updated_at)
       VALUES (?1, ?2, ?3, ?4, 1, ?5)
       ON CONFLICT (tenant_id) DO UPDATE SET
         latest_version = CASE WHEN key_state.key_name = ?2
           THEN MAX(key_state.latest_version, ?4) ELSE ?4 END,
         min_version = CASE WHEN key_state.key_name = ?2 THEN key_state.min_version ELSE 1 END,
         key_name = ?2, key_type = ?3, updated_at = ?5`,
    )
    .bind(tenantId, key.name, key.type, key.latestVersion, at);
}

export async function setMinVersion(
  db: D1Database,
  tenantId: string,
  minVersion: number,
  at: string,
): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE key_state SET min_version = ?2, updated_at = ?3
       WHERE tenant_id = ?1 AND ?2 <= latest_version`,
    )
    .bind(tenantId, minVersion, at)
    .run();
  return result.meta.changes === 1;
}
