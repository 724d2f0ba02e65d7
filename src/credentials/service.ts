import type { AuditWriter } from "../audit/writer.ts";
import { hashApiKey } from "../auth/api-keys.ts";
import type { Principal, Role } from "../auth/principal.ts";
import { encodeBase64Url } from "../crypto/encoding.ts";
import { ApiError } from "../errors.ts";
import { DEFAULT_TENANT, findTenant } from "../tenants/store.ts";
import type { Credential } from "./store.ts";
import { findCredential, insertCredential, listCredentials, revokeCredential } from "./store.ts";

/** Secrets start with this, so that leaked keys can be recognised by secret scanners. */
const SECRET_PREFIX = "ela_";

export interface CreateCredential {
  name: string;
  role: Role;
  expires_at?: string | undefined;
  tenant_id?: string | undefined;
}

/**
 * The tenant an admin acts on: its own, or for an admin of the default tenant (the operator of
 * the service) any tenant it names.
 */
export async function targetTenant(
  db: D1Database,
  principal: Principal,
  requested: string | undefined,
): Promise<string> {
  if (requested === undefined || requested === principal.tenantId) {
    return principal.tenantId;
  }
  if (principal.tenantId !== DEFAULT_TENANT) {
    throw new ApiError("FORBIDDEN", "only the service's operators act on other tenants");
  }
  if (!(await findTenant(db, requested, Date.now()))) {
    throw new ApiError("NOT_FOUND", `tenant ${requested} does not exist`);
  }
  return requested;
}

/** Creates an API key; its secret is returned here and never again. */
export async function createCredential(
  db: D1Database,
  principal: Principal,
  request: CreateCredential,
  now: number,
  audit: (tenantId: string) => AuditWriter,
): Promise<{ credential: Credential; secret: string }> {
  const tenantId = await targetTenant(db, principal, request.tenant_id);
  if (request.expires_at !== undefined && Date.parse(request.expires_at) <= now) {
    throw new ApiError("INVALID_LICENSE", "expires_at must be in the future", {
      details: { field: "expires_at" },
    });
  }

  const secret = `${SECRET_PREFIX}${encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)))}`;
  const credential: Credential = {
    key_id: `key_${encodeBase64Url(crypto.getRandomValues(new Uint8Array(12)))}`,
    tenant_id: tenantId,
    name: request.name,
    role: request.role,
    prefix: secret.slice(0, SECRET_PREFIX.length + 6),
    created_at: new Date(now).toISOString(),
    created_by: principal.keyId,
    expires_at: request.expires_at ?? null,
    revoked_at: null,
    last_used_at: null,
  };
  const writer = audit(tenantId);
  await db.batch([
    insertCredential(db, credential, await hashApiKey(secret)),
    await writer.entry(db, "credential.created", credential.key_id, {
      name: credential.name,
      role: credential.role,
      expires_at: credential.expires_at,
    }),
  ]);
  writer.committed();
  return { credential, secret };
}

export async function tenantCredentials(
  db: D1Database,
  principal: Principal,
  requestedTenant: string | undefined,
): Promise<Credential[]> {
  return await listCredentials(db, await targetTenant(db, principal, requestedTenant));
}

export async function revokeTenantCredential(
  db: D1Database,
  principal: Principal,
  keyId: string,
  requestedTenant: string | undefined,
  now: number,
  audit: (tenantId: string) => AuditWriter,
): Promise<Credential> {
  const tenantId = await targetTenant(db, principal, requestedTenant);
  const at = new Date(now).toISOString();
  const writer = audit(tenantId);
  const [update] = await db.batch([
    revokeCredential(db, tenantId, keyId, at),
    await writer.entry(
      db,
      "credential.revoked",
      keyId,
      {},
      {
        sql: "SELECT 1 FROM api_keys WHERE key_id = ?10 AND revoked_at = ?11",
        params: [keyId, at],
      },
    ),
  ]);
  writer.committed();
  const revoked = (update?.meta.changes ?? 0) === 1;
  const credential = await findCredential(db, tenantId, keyId);
  if (!credential) {
    throw new ApiError("NOT_FOUND", `credential ${keyId} does not exist`);
  }
  if (!revoked) {
    throw new ApiError("CONFLICT", `credential ${keyId} is already revoked`);
  }
  return credential;
}
