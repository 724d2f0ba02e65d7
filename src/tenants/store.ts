export interface Tenant {
  tenant_id: string;
  name: string;
  /** The tenant's own Transit key, or null for the service's. */
  transit_key: string | null;
  /** The tenant's own Vault namespace, or null for the service's. */
  vault_namespace: string | null;
  created_at: string;
}

export const DEFAULT_TENANT = "default";

/** How long an isolate trusts what it read of a tenant; tenants change rarely. */
const TENANT_TTL_MS = 60_000;
const cache = new Map<string, { tenant: Tenant | null; readAt: number }>();

/** A tenant by id, from this isolate's memory when read within `maxAgeMs`, else from D1. */
export async function findTenant(
  db: D1Database,
  tenantId: string,
  now: number,
  maxAgeMs = TENANT_TTL_MS,
): Promise<Tenant | null> {
  const cached = cache.get(tenantId);
  if (cached && now - cached.readAt < maxAgeMs) {
    return cached.tenant;
  }
  const tenant = await db
    .prepare("SELECT * FROM tenants WHERE tenant_id = ?1")
    .bind(tenantId)
    .first<Tenant>();
  cache.set(tenantId, { tenant, readAt: now });
  return tenant;
}

export async function listTenants(db: D1Database): Promise<Tenant[]> {
  const { results } = await db
    .prepare("SELECT * FROM tenants ORDER BY created_at, tenant_id")
    .run<Tenant>();
  return results;
}

/** Stores a new tenant; it changes nothing when the id is taken. */
export function insertTenant(db: D1Database, tenant: Tenant): D1PreparedStatement {
  cache.delete(tenant.tenant_id);
  return db
    .prepare(
      `INSERT INTO tenants (tenant_id, name, transit_key, vault_namespace, created_at)
       VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (tenant_id) DO NOTHING`,
    )
    .bind(
      tenant.tenant_id,
      tenant.name,
      tenant.transit_key,
      tenant.vault_namespace,
      tenant.created_at,
    );
}
