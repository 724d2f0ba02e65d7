import type { Role } from "../auth/principal.ts";

/** An API key as listed: everything but the secret, which is never stored. */
export interface Credential {
  key_id: string;
  tenant_id: string;
  name: string;
  role: Role;
  prefix: string | null;
  created_at: string;
  created_by: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

const COLUMNS = `key_id, tenant_id, name, role, prefix, created_at, created_by, expires_at,
  revoked_at, last_used_at`;

export function insertCredential(
  db: D1Database,
  credential: Credential,
  keyHash: string,
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO api_keys (${COLUMNS}, key_hash)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, NULL, ?9)`,
    )
    .bind(
      credential.key_id,
      credential.tenant_id,
      credential.name,
      credential.role,
      credential.prefix,
      credential.created_at,
      credential.created_by,
      credential.expires_at,
      keyHash,
    );
}

export async function listCredentials(db: D1Database, tenantId: string): Promise<Credential[]> {
  const { results } = await db
    .prepare(
      `SELECT ${COLUMNS} FROM api_keys WHERE tenant_id = ?1 ORDER BY created_at DESC, key_id`,
    )
    .bind(tenantId)
    .run<Credential>();
  return results;
}

export async function findCredential(
  db: D1Database,
  tenantId: string,
  keyId: string,
): Promise<Credential | null> {
  return await db
    .prepare(`SELECT ${COLUMNS} FROM api_keys WHERE tenant_id = ?1 AND key_id = ?2`)
    .bind(tenantId, keyId)
    .first<Credential>();
}

/** Revokes a credential once; it changes nothing when it was already revoked. */
export function revokeCredential(
  db: D1Database,
  tenantId: string,
  keyId: string,
  at: string,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE api_keys SET revoked_at = ?3
       WHERE tenant_id = ?1 AND key_id = ?2 AND revoked_at IS NULL`,
    )
    .bind(tenantId, keyId, at);
}
