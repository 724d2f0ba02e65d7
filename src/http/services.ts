import type { Context } from "hono";
import { afterCommit } from "../audit/after-commit.ts";
import { importMacKey } from "../audit/entry.ts";
import { AuditWriter } from "../audit/writer.ts";
import type { Principal } from "../auth/principal.ts";
import type { Config } from "../config.ts";
import { ApiError } from "../errors.ts";
import type { Keyring } from "../keys/keyring.ts";
import type { Actor, LicenseContext } from "../licenses/context.ts";
import { Sessions } from "../licenses/sessions.ts";
import { tenantKeyring, tenantVault } from "../tenants/clients.ts";
import type { Tenant } from "../tenants/store.ts";
import { DEFAULT_TENANT, findTenant } from "../tenants/store.ts";
import type { VaultClient } from "../vault/client.ts";
import type { AppEnv } from "./env.ts";

/** D1 bookmarks are dash-separated hexadecimal fields; anything else is ignored, not sent on. */
const BOOKMARK = /^[0-9a-f]{8}(-[0-9a-f]{8,64}){2,6}$/;

/** A Vault client for the service's namespace, or for a tenant's own. */
export function vaultClient(config: Config, tenant?: Tenant, c?: Context<AppEnv>): VaultClient {
  return tenantVault(config, tenant, (_operation, ms) => {
    // Summed per request for its log line.
    c?.set("vaultMs", (c.get("vaultMs") ?? 0) + ms);
  });
}

/** The keyring of a tenant's signing key, in the tenant's Vault namespace. */
export function keyringFor(c: Context<AppEnv>, tenant: Tenant, vault?: VaultClient): Keyring {
  return tenantKeyring(c.env.DB, c.get("config"), tenant, vault);
}

/** The tenant of whoever is calling; unauthenticated validation acts for the default tenant. */
export async function currentTenant(c: Context<AppEnv>): Promise<Tenant> {
  const tenantId = c.get("principal")?.tenantId ?? DEFAULT_TENANT;
  const tenant = await findTenant(c.env.DB, tenantId, Date.now());
  if (!tenant) {
    throw new ApiError("FORBIDDEN", `tenant ${tenantId} does not exist`);
  }
  return tenant;
}

/** The services of one request, scoped to the tenant of whoever is calling. */
export async function licenseContext(c: Context<AppEnv>): Promise<LicenseContext> {
  const config = c.get("config");
  const tenant = await currentTenant(c);
  const vault = vaultClient(config, tenant, c);
  const bookmark = c.req.header("X-D1-Bookmark");
  return {
    sessions: new Sessions(c.env.DB, bookmark && BOOKMARK.test(bookmark) ? bookmark : undefined),
    vault,
    keyring: keyringFor(c, tenant, vault),
    tenantId: tenant.tenant_id,
    issuer: config.issuer,
    stateCacheMs: config.licenseStateCacheMs,
    verifyAt: config.verifyAt,
    batchIssueMax: config.batchIssueMax,
    listLimitMax: config.listLimitMax,
    now: Date.now,
    idempotency: c.get("idempotency"),
    audit: auditWriter(c, tenant.tenant_id),
  };
}

const macKeys = new Map<string, Promise<CryptoKey>>();

/** The audit writer of this request, acting for `tenantId`. */
export function auditWriter(c: Context<AppEnv>, tenantId: string): AuditWriter {
  const secret = c.get("config").auditMacSecret;
  const requestId = c.get("requestId");
  return new AuditWriter({
    tenantId,
    actor: c.get("principal")?.keyId ?? "anonymous",
    requestId,
    macKey: () => {
      let key = macKeys.get(secret);
      if (!key) {
        key = importMacKey(secret);
        macKeys.set(secret, key);
      }
      return key;
    },
    now: Date.now,
    afterCommit: () => c.executionCtx.waitUntil(afterCommit(c.env, tenantId, requestId)),
  });
}

/** The authenticated caller; routes behind requireRole always have one. */
export function requirePrincipal(c: Context<AppEnv>): Principal {
  const principal = c.get("principal");
  if (!principal) {
    throw new ApiError("UNAUTHORIZED", "a credential is required");
  }
  return principal;
}

export function actorOf(c: Context<AppEnv>): Actor {
  return { actor: c.get("principal")?.keyId ?? "anonymous", requestId: c.get("requestId") };
}

/** Hands the client the D1 bookmark of what it just read or wrote, for read-your-writes. */
export function withBookmark(c: Context<AppEnv>, ctx: LicenseContext): void {
  const bookmark = ctx.sessions.bookmark();
  if (bookmark) {
    c.header("X-D1-Bookmark", bookmark);
  }
}
