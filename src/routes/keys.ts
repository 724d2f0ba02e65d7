import type { Context } from "hono";
import { Hono } from "hono";
import { every } from "hono/combine";
import { z } from "zod";
import { tenantIdSchema, tenantQuerySchema } from "../credentials/schemas.ts";
import { targetTenant } from "../credentials/service.ts";
import type { VaultKeyType } from "../crypto/verify.ts";
import { ApiError } from "../errors.ts";
import { requireRole } from "../http/auth.ts";
import type { AppEnv } from "../http/env.ts";
import { rateLimit } from "../http/rate-limit.ts";
import { auditWriter, keyringFor, requirePrincipal, vaultClient } from "../http/services.ts";
import { valid } from "../http/validation.ts";
import type { KeyScope } from "../keys/management.ts";
import {
  createKey,
  publishedKeys,
  rotateKey,
  setMinimumVersion,
  showKey,
} from "../keys/management.ts";
import { createKeySchema, minVersionSchema } from "../keys/schemas.ts";
import { DEFAULT_TENANT, findTenant } from "../tenants/store.ts";

const admins = every(requireRole(["admin"]), rateLimit("credentials", "closed"));

/**
 * The key a request manages. A tenant that signs with the service's shared key may not change
 * it: only the default tenant, which owns that key, and tenants with a key of their own may.
 */
async function keyScope(c: Context<AppEnv>, tenantId: string | undefined): Promise<KeyScope> {
  const target = await targetTenant(c.env.DB, requirePrincipal(c), tenantId);
  const tenant = await findTenant(c.env.DB, target, Date.now());
  if (!tenant) {
    throw new ApiError("NOT_FOUND", `tenant ${target} does not exist`);
  }
  if (tenant.transit_key === null && tenant.tenant_id !== DEFAULT_TENANT) {
    throw new ApiError(
      "FORBIDDEN",
      "this tenant signs with the service's key, managed by operators",
    );
  }
  const vault = vaultClient(c.get("config"), tenant);
  return {
    db: c.env.DB,
    vault,
    keyring: keyringFor(c, tenant, vault),
    tenantId: tenant.tenant_id,
    audit: auditWriter(c, tenant.tenant_id),
  };
}

export const keyRoutes = new Hono<AppEnv>()
  .get("/", admins, valid("query", tenantQuerySchema), async (c) => {
    const key = await showKey(await keyScope(c, c.req.valid("query").tenant_id));
    return c.json({ key }, 200);
  })
  .post(
    "/",
    admins,
    valid("query", tenantQuerySchema),
    valid("json", createKeySchema),
    async (c) => {
      const scope = await keyScope(c, c.req.valid("query").tenant_id);
      const type = c.req.valid("json").type as VaultKeyType;
      return c.json({ success: true, key: await createKey(scope, type) }, 201);
    },
  )
  .post("/rotate", admins, valid("query", tenantQuerySchema), async (c) => {
    const scope = await keyScope(c, c.req.valid("query").tenant_id);
    return c.json({ success: true, key: await rotateKey(scope) }, 200);
  })
  .post(
    "/min-version",
    admins,
    valid("query", tenantQuerySchema),
    valid("json", minVersionSchema),
    async (c) => {
      const scope = await keyScope(c, c.req.valid("query").tenant_id);
      const key = await setMinimumVersion(scope, c.req.valid("json").min_version);
      return c.json({ success: true, key }, 200);
    },
  );

/** Public: every application may fetch the keys that verify license tokens offline. */
export const jwksRoutes = new Hono<AppEnv>().get(
  "/",
  rateLimit("validate", "open"),
  valid("query", z.object({ tenant: tenantIdSchema.optional() }).strict()),
  async (c) => {
    const tenantId = c.req.valid("query").tenant ?? DEFAULT_TENANT;
    const tenant = await findTenant(c.env.DB, tenantId, Date.now());
    if (!tenant) {
      throw new ApiError("NOT_FOUND", `tenant ${tenantId} does not exist`);
    }
    const vault = vaultClient(c.get("config"), tenant);
    const keys = await publishedKeys({
      db: c.env.DB,
      vault,
      keyring: keyringFor(c, tenant, vault),
      tenantId,
    });
    // Short enough that a retirement reaches verifiers within minutes.
    c.header("Cache-Control", "public, max-age=300, stale-while-revalidate=60");
    return c.json({ keys }, 200);
  },
);
