import { Hono } from "hono";
import { every } from "hono/combine";
import { createTenantSchema } from "../credentials/schemas.ts";
import { requireRole } from "../http/auth.ts";
import type { AppEnv } from "../http/env.ts";
import { rateLimit } from "../http/rate-limit.ts";
import { keyringFor, requirePrincipal } from "../http/services.ts";
import { valid } from "../http/validation.ts";
import { createTenant, visibleTenants } from "../tenants/service.ts";

const admins = every(requireRole(["admin"]), rateLimit("credentials", "closed"));

export const tenantRoutes = new Hono<AppEnv>()
  .post("/", admins, valid("json", createTenantSchema), async (c) => {
    const tenant = await createTenant(
      c.env.DB,
      requirePrincipal(c),
      c.req.valid("json"),
      (t) => keyringFor(c, t),
      Date.now(),
    );
    return c.json({ success: true, tenant }, 201);
  })
  .get("/", admins, async (c) => {
    return c.json({ tenants: await visibleTenants(c.env.DB, requirePrincipal(c)) }, 200);
  });
