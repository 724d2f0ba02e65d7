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

export async function savePublicKeys(
  db: D1Database,
  tenantId: string,
  key: TransitKey,
  fetchedAt: string,
): Promise<void> {
  if (key.versions.length === 0) {
    return;
  }
  // A version's public key never changes in Vault, so rows already stored are left as they are.
  const insert = db.prepare(
    `INSERT INTO public_keys
       (tenant_id, key_name, key_version, key_type, public_key, created_at, fetched_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
     ON CONFLICT (tenant_id, key_name, key_version) DO NOTHING`,
  );
  await db.batch(
    key.versions.map((v) =>
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
  );
}
