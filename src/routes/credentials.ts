import { Hono } from "hono";
import { every } from "hono/combine";
import {
  createCredentialSchema,
  credentialIdParamSchema,
  tenantQuerySchema,
} from "../credentials/schemas.ts";
import {
  createCredential,
  revokeTenantCredential,
  tenantCredentials,
} from "../credentials/service.ts";
import { requireRole } from "../http/auth.ts";
import type { AppEnv } from "../http/env.ts";
import { rateLimit } from "../http/rate-limit.ts";
import { auditWriter, requirePrincipal } from "../http/services.ts";
import { valid } from "../http/validation.ts";

const admins = every(requireRole(["admin"]), rateLimit("credentials", "closed"));

export const credentialRoutes = new Hono<AppEnv>()
  .post("/", admins, valid("json", createCredentialSchema), async (c) => {
    const created = await createCredential(
      c.env.DB,
      requirePrincipal(c),
      c.req.valid("json"),
      Date.now(),
      (tenantId) => auditWriter(c, tenantId),
    );
    return c.json({ success: true, ...created }, 201);
  })
  .get("/", admins, valid("query", tenantQuerySchema), async (c) => {
    const credentials = await tenantCredentials(
      c.env.DB,
      requirePrincipal(c),
      c.req.valid("query").tenant_id,
    );
    return c.json({ credentials }, 200);
  })
  .delete(
    "/:id",
    admins,
    valid("param", credentialIdParamSchema),
    valid("query", tenantQuerySchema),
    async (c) => {
      const credential = await revokeTenantCredential(
        c.env.DB,
        requirePrincipal(c),
        c.req.valid("param").id,
        c.req.valid("query").tenant_id,
        Date.now(),
        (tenantId) => auditWriter(c, tenantId),
      );
      return c.json({ success: true, credential }, 200);
    },
  );
