import type { AuditWriter } from "../audit/writer.ts";
import type { Principal } from "../auth/principal.ts";
import type { VaultKeyType } from "../crypto/verify.ts";
import { ApiError } from "../errors.ts";
import type { Keyring } from "../keys/keyring.ts";
import type { VaultClient } from "../vault/client.ts";
import { VaultError } from "../vault/errors.ts";
import type { Tenant } from "./store.ts";
import { DEFAULT_TENANT, findTenant, insertTenant, listTenants } from "./store.ts";

export interface CreateTenant {
  tenant_id: string;
  name: string;
  transit_key?: string | undefined;
  vault_namespace?: string | undefined;
  /** Creates the tenant's Transit key with this type when Vault does not have it yet. */
  key_type?: VaultKeyType | undefined;
}

function requireOperator(principal: Principal): void {
  if (principal.tenantId !== DEFAULT_TENANT || principal.role !== "admin") {
    throw new ApiError("FORBIDDEN", "only admins of the default tenant manage tenants");
  }
}

/**
 * Creates a tenant. Its signing key is read from Vault first (and created when asked to), so a
 * tenant is never created without a key that can sign, and its public keys are stored before
 * its first license.
 */
export async function createTenant(
  db: D1Database,
  principal: Principal,
  request: CreateTenant,
  keyringFor: (tenant: Tenant) => Keyring,
  vault: (tenant: Tenant) => VaultClient,
  audit: (tenantId: string) => AuditWriter,
  now: number,
): Promise<Tenant> {
  requireOperator(principal);
  const tenant: Tenant = {
    tenant_id: request.tenant_id,
    name: request.name,
    transit_key: request.transit_key ?? null,
    vault_namespace: request.vault_namespace ?? null,
    created_at: new Date(now).toISOString(),
  };
  if (await findTenant(db, tenant.tenant_id, now, 0)) {
    throw new ApiError("CONFLICT", `tenant ${tenant.tenant_id} already exists`);
  }
  const keyring = keyringFor(tenant);
  try {
    await keyring.refresh();
  } catch (error) {
    if (!(error instanceof VaultError && error.kind === "not_found")) {
      throw error;
    }
    if (request.key_type === undefined) {
      throw new ApiError(
        "INVALID_LICENSE",
        `Vault has no Transit key ${keyring.keyName}; give key_type to create it`,
        { details: { field: "transit_key" } },
      );
    }
    await vault(tenant).createKey(keyring.keyName, request.key_type);
    await keyring.refresh();
  }
  // Recorded in the operator's own trail: tenants are the operator's to create.
  const writer = audit(principal.tenantId);
  const [inserted] = await db.batch([
    insertTenant(db, tenant),
    await writer.entry(
      db,
      "tenant.created",
      tenant.tenant_id,
      {
        name: tenant.name,
        transit_key: tenant.transit_key,
        vault_namespace: tenant.vault_namespace,
      },
      {
        sql: "SELECT 1 FROM tenants WHERE tenant_id = ?10 AND created_at = ?11",
        params: [tenant.tenant_id, tenant.created_at],
      },
    ),
  ]);
  writer.committed();
  if ((inserted?.meta.changes ?? 0) !== 1) {
    throw new ApiError("CONFLICT", `tenant ${tenant.tenant_id} already exists`);
  }
  return tenant;
}

/** The tenants a principal may see: all of them for operators, else its own. */
export async function visibleTenants(db: D1Database, principal: Principal): Promise<Tenant[]> {
  if (principal.tenantId === DEFAULT_TENANT && principal.role === "admin") {
    return await listTenants(db);
  }
  const own = await findTenant(db, principal.tenantId, Date.now());
  return own ? [own] : [];
}
