import type { Principal, Role } from "./principal.ts";

/** The first admin key is a secret, not a D1 row; this is its id in logs and history. */
export const BOOTSTRAP_KEY_ID = "bootstrap-admin";
const DEFAULT_TENANT = "default";
/** last_used_at is rewritten at most this often, so authenticating is not a write per request. */
const LAST_USED_RESOLUTION_MS = 60_000;

async function sha256(text: string): Promise<ArrayBuffer> {
  return await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
}

function hex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The stored form of an API key secret. */
export async function hashApiKey(secret: string): Promise<string> {
  return hex(await sha256(secret));
}

interface KeyRow {
  key_id: string;
  tenant_id: string;
  role: Role;
  key_hash: string;
  last_used_at: string | null;
}

/**
 * The principal an API key secret stands for, or null. Secrets are compared as SHA-256 hashes in
 * constant time; D1 holds only the hashes.
 */
export async function authenticateApiKey(
  db: D1Database,
  bootstrapKey: string,
  presented: string,
  now: number,
  defer: (work: Promise<unknown>) => void,
): Promise<Principal | null> {
  const presentedHash = await sha256(presented);
  if (crypto.subtle.timingSafeEqual(presentedHash, await sha256(bootstrapKey))) {
    return { keyId: BOOTSTRAP_KEY_ID, tenantId: DEFAULT_TENANT, role: "admin", via: "api_key" };
  }

  const presentedHex = hex(presentedHash);
  const row = await db
    .prepare(
      `SELECT key_id, tenant_id, role, key_hash, last_used_at FROM api_keys
       WHERE key_hash = ?1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?2)`,
    )
    .bind(presentedHex, new Date(now).toISOString())
    .first<KeyRow>();
  const encoder = new TextEncoder();
  if (
    !row ||
    !crypto.subtle.timingSafeEqual(encoder.encode(row.key_hash), encoder.encode(presentedHex))
  ) {
    return null;
  }

  if (!row.last_used_at || now - Date.parse(row.last_used_at) > LAST_USED_RESOLUTION_MS) {
    defer(
      db
        .prepare("UPDATE api_keys SET last_used_at = ?1 WHERE key_id = ?2")
        .bind(new Date(now).toISOString(), row.key_id)
        .run(),
    );
  }
  return { keyId: row.key_id, tenantId: row.tenant_id, role: row.role, via: "api_key" };
}
