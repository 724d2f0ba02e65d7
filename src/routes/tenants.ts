import { Hono } from "hono";
import { every } from "hono/combine";
import { createTenantSchema } from "../credentials/schemas.ts";
import type { VaultKeyType } from "../crypto/verify.ts";
import { requireRole } from "../http/auth.ts";
import type { AppEnv } from "../http/env.ts";
import { rateLimit } from "../http/rate-limit.ts";
import { auditWriter, keyringFor, requirePrincipal, vaultClient } from "../http/services.ts";
import { valid } from "../http/validation.ts";
import { createTenant, visibleTenants } from "../tenants/service.ts";

const admins = every(requireRole(["admin"]), rateLimit("credentials", "closed"));

export const tenantRoutes = new Hono<AppEnv>()
  .post("/", admins, valid("json", createTenantSchema), async (c) => {
    const { key_type, ...request } = c.req.valid("json");
    const tenant = await createTenant(
      c.env.DB,
      requirePrincipal(c),
      { ...request, key_type: key_type as VaultKeyType | undefined },
      (t) => keyringFor(c, t),
      (t) => vaultClient(c.get("config"), t),
      (tenantId) => auditWriter(c, tenantId),
      Date.now(),
    );
    return c.json({ success: true, tenant }, 201);
  })
  .get("/", admins, async (c) => {
    return c.json({ tenants: await visibleTenants(c.env.DB, requirePrincipal(c)) }, 200);
  });
