import { Hono } from "hono";
import { every } from "hono/combine";
import { createMiddleware } from "hono/factory";
import { requireRole } from "../http/auth.ts";
import type { AppEnv } from "../http/env.ts";
import { rateLimit } from "../http/rate-limit.ts";
import { actorOf, licenseContext, withBookmark } from "../http/services.ts";
import { valid } from "../http/validation.ts";
import { issueBatch, issueLicense } from "../licenses/issuing.ts";
import {
  getLicense,
  listTenantLicenses,
  renewLicense,
  revokeLicense,
  setSuspended,
} from "../licenses/lifecycle.ts";
import {
  batchIssueRequestSchema,
  issueRequestSchema,
  licenseIdParamSchema,
  listQuerySchema,
  renewRequestSchema,
  revokeRequestSchema,
  stateChangeRequestSchema,
  validateRequestSchema,
} from "../licenses/schemas.ts";
import { validateLicense } from "../licenses/validation.ts";

const issuers = every(
  requireRole(["admin", "issuer"]),
  // Signing costs a Vault call, so a runaway client must not be able to flood Vault.
  rateLimit((config) => ({
    name: "issue",
    ...config.issueRateLimit,
    onLimiterFailure: "closed",
  })),
);
const readers = requireRole(["admin", "issuer", "reader"]);
const anyRole = ["admin", "issuer", "reader", "validator"] as const;
const keyOptional = requireRole(anyRole, { optional: true });
const keyRequired = requireRole(anyRole);
/** Validation is open to applications unless configured otherwise; a key sent must be valid. */
const validators = createMiddleware<AppEnv>(async (c, next) => {
  const guard = c.get("config").validationRequiresApiKey ? keyRequired : keyOptional;
  return await guard(c, next);
});

export const licenseRoutes = new Hono<AppEnv>()
  .post("/issue", issuers, valid("json", issueRequestSchema), async (c) => {
    const ctx = licenseContext(c);
    const license = await issueLicense(ctx, c.req.valid("json"), actorOf(c));
    withBookmark(c, ctx);
    return c.json({ success: true, license }, 201);
  })
  .post("/batch/issue", issuers, valid("json", batchIssueRequestSchema), async (c) => {
    const ctx = licenseContext(c);
    const results = await issueBatch(ctx, c.req.valid("json").licenses, actorOf(c));
    withBookmark(c, ctx);
    const issued = results.filter((r) => r.success).length;
    return c.json(
      { success: issued === results.length, issued, failed: results.length - issued, results },
      issued > 0 ? 201 : 200,
    );
  })
  .post("/validate", validators, valid("json", validateRequestSchema), async (c) => {
    const ctx = licenseContext(c);
    const { license, module } = c.req.valid("json");
    const result = await validateLicense(ctx, license, module);
    withBookmark(c, ctx);
    return c.json(result, 200);
  })
  .post("/renew", issuers, valid("json", renewRequestSchema), async (c) => {
    const ctx = licenseContext(c);
    const license = await renewLicense(ctx, c.req.valid("json"), actorOf(c));
    withBookmark(c, ctx);
    return c.json({ success: true, license }, 201);
  })
  .post("/revoke", issuers, valid("json", revokeRequestSchema), async (c) => {
    const ctx = licenseContext(c);
    const body = c.req.valid("json");
    const result = await revokeLicense(
      ctx,
      body.license_id,
      body.reason,
      body.effective_date,
      actorOf(c),
    );
    withBookmark(c, ctx);
    return c.json({ success: true, ...result }, 200);
  })
  .post("/suspend", issuers, valid("json", stateChangeRequestSchema), async (c) => {
    const ctx = licenseContext(c);
    const body = c.req.valid("json");
    const result = await setSuspended(ctx, body.license_id, true, body.reason, actorOf(c));
    withBookmark(c, ctx);
    return c.json({ success: true, ...result }, 200);
  })
  .post("/reinstate", issuers, valid("json", stateChangeRequestSchema), async (c) => {
    const ctx = licenseContext(c);
    const body = c.req.valid("json");
    const result = await setSuspended(ctx, body.license_id, false, body.reason, actorOf(c));
    withBookmark(c, ctx);
    return c.json({ success: true, ...result }, 200);
  })
  .get("/list", readers, valid("query", listQuerySchema), async (c) => {
    const ctx = licenseContext(c);
    const page = await listTenantLicenses(ctx, c.req.valid("query"));
    withBookmark(c, ctx);
    return c.json(page, 200);
  })
  .get("/:id", readers, valid("param", licenseIdParamSchema), async (c) => {
    const ctx = licenseContext(c);
    const result = await getLicense(ctx, c.req.valid("param").id);
    withBookmark(c, ctx);
    return c.json(result, 200);
  });
