import type { Context } from "hono";
import { Hono } from "hono";
import { every } from "hono/combine";
import { createCheckpoint } from "../audit/checkpoint.ts";
import { importMacKey } from "../audit/entry.ts";
import { auditQuerySchema, auditTenantQuerySchema } from "../audit/schemas.ts";
import { listAudit } from "../audit/service.ts";
import { verifyChain } from "../audit/verify.ts";
import { targetTenant } from "../credentials/service.ts";
import { ApiError } from "../errors.ts";
import { requireRole } from "../http/auth.ts";
import type { AppEnv } from "../http/env.ts";
import { rateLimit } from "../http/rate-limit.ts";
import { keyringFor, requirePrincipal, vaultClient } from "../http/services.ts";
import { valid } from "../http/validation.ts";
import { findTenant } from "../tenants/store.ts";

const auditors = every(requireRole(["admin", "reader"]), rateLimit("read", "closed"));
const admins = every(requireRole(["admin"]), rateLimit("credentials", "closed"));

async function tenantOf(c: Context<AppEnv>, requested: string | undefined) {
  const tenantId = await targetTenant(c.env.DB, requirePrincipal(c), requested);
  const tenant = await findTenant(c.env.DB, tenantId, Date.now());
  if (!tenant) {
    throw new ApiError("NOT_FOUND", `tenant ${tenantId} does not exist`);
  }
  return tenant;
}

export const auditRoutes = new Hono<AppEnv>()
  .get("/", auditors, valid("query", auditQuerySchema), async (c) => {
    const query = c.req.valid("query");
    const tenant = await tenantOf(c, query.tenant_id);
    const page = await listAudit(c.env.DB, tenant.tenant_id, {
      action: query.action,
      target: query.target,
      actor: query.actor,
      since: query.since,
      until: query.until,
      before: query.cursor === undefined ? undefined : Number(query.cursor),
      limit: query.limit,
    });
    return c.json(page, 200);
  })
  .get("/verify", admins, valid("query", auditTenantQuerySchema), async (c) => {
    const tenant = await tenantOf(c, c.req.valid("query").tenant_id);
    const ledger = c.env.AUDIT_LEDGER.getByName(tenant.tenant_id);
    // Pending entries are sealed first, so the report covers everything committed so far.
    await ledger.seal(tenant.tenant_id);
    const keyring = keyringFor(c, tenant);
    const report = await verifyChain(
      c.env.DB,
      tenant.tenant_id,
      await importMacKey(c.get("config").auditMacSecret),
      await ledger.head(),
      (version) => keyring.verificationKey(version),
    );
    return c.json(report, 200);
  })
  .post("/checkpoints", admins, valid("query", auditTenantQuerySchema), async (c) => {
    const tenant = await tenantOf(c, c.req.valid("query").tenant_id);
    const head = await c.env.AUDIT_LEDGER.getByName(tenant.tenant_id).seal(tenant.tenant_id);
    const vault = vaultClient(c.get("config"), tenant);
    const checkpoint = await createCheckpoint(
      c.env.DB,
      tenant.tenant_id,
      head,
      keyringFor(c, tenant, vault),
      vault,
      Date.now(),
    );
    return c.json({ success: true, checkpoint }, checkpoint ? 201 : 200);
  });
