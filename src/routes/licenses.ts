import { Hono } from "hono";
import { every } from "hono/combine";
import { createMiddleware } from "hono/factory";
import { requireRole } from "../http/auth.ts";
import type { AppEnv } from "../http/env.ts";
import { idempotent } from "../http/idempotency.ts";
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
import { count, observe } from "../metrics/recorder.ts";

// Signing costs a Vault call: a runaway client must not flood Vault, even if the limiter fails.
const issuers = every(requireRole(["admin", "issuer"]), rateLimit("issue", "closed"));
const readers = every(requireRole(["admin", "issuer", "reader"]), rateLimit("read", "closed"));
const anyRole = ["admin", "issuer", "reader", "validator"] as const;
const keyOptional = requireRole(anyRole, { optional: true });
const keyRequired = requireRole(anyRole);
/**
 * Validation is open to applications unless configured otherwise; a key sent must be valid.
 * Its limit fails open: applications keep validating if the limiter is unreachable.
 */
const validators = every(
  createMiddleware<AppEnv>(async (c, next) => {
    const guard = c.get("config").validationRequiresApiKey ? keyRequired : keyOptional;
    return await guard(c, next);
  }),
  rateLimit("validate", "open"),
);

export const licenseRoutes = new Hono<AppEnv>()
  .post("/issue", issuers, idempotent, valid("json", issueRequestSchema), async (c) => {
    const ctx = await licenseContext(c);
    const { status, body } = await issueLicense(ctx, c.req.valid("json"), actorOf(c));
    count("licenses_issued_total", { tenant: ctx.tenantId });
    withBookmark(c, ctx);
    return c.json(body, status);
  })
  .post("/batch/issue", issuers, idempotent, valid("json", batchIssueRequestSchema), async (c) => {
    const ctx = await licenseContext(c);
    const { status, body } = await issueBatch(ctx, c.req.valid("json").licenses, actorOf(c));
    count("licenses_issued_total", { tenant: ctx.tenantId }, body.issued);
    withBookmark(c, ctx);
    return c.json(body, status);
  })
  .post("/validate", validators, valid("json", validateRequestSchema), async (c) => {
    const started = performance.now();
    const ctx = await licenseContext(c);
    const { license, license_token, module } = c.req.valid("json");
    const result = await validateLicense(ctx, license ?? String(license_token), module);
    count("validations_total", { tenant: ctx.tenantId, code: result.code });
    observe("validation_duration_ms", performance.now() - started);
    withBookmark(c, ctx);
    return c.json(result, 200);
  })
  .post("/renew", issuers, idempotent, valid("json", renewRequestSchema), async (c) => {
    const ctx = await licenseContext(c);
    const { status, body } = await renewLicense(ctx, c.req.valid("json"), actorOf(c));
    count("licenses_renewed_total", { tenant: ctx.tenantId });
    withBookmark(c, ctx);
    return c.json(body, status);
  })
  .post("/revoke", issuers, valid("json", revokeRequestSchema), async (c) => {
    const ctx = await licenseContext(c);
    const { license_id, reason, effective_date } = c.req.valid("json");
    const result = await revokeLicense(ctx, license_id, reason, effective_date, actorOf(c));
    if (result.status === "revoked") {
      count("licenses_revoked_total", { tenant: ctx.tenantId });
    }
    withBookmark(c, ctx);
    return c.json({ success: true, ...result }, 200);
  })
  .post("/suspend", issuers, valid("json", stateChangeRequestSchema), async (c) => {
    const ctx = await licenseContext(c);
    const body = c.req.valid("json");
    const result = await setSuspended(ctx, body.license_id, true, body.reason, actorOf(c));
    withBookmark(c, ctx);
    return c.json({ success: true, ...result }, 200);
  })
  .post("/reinstate", issuers, valid("json", stateChangeRequestSchema), async (c) => {
    const ctx = await licenseContext(c);
    const body = c.req.valid("json");
    const result = await setSuspended(ctx, body.license_id, false, body.reason, actorOf(c));
    withBookmark(c, ctx);
    return c.json({ success: true, ...result }, 200);
  })
  .get("/list", readers, valid("query", listQuerySchema), async (c) => {
    const ctx = await licenseContext(c);
    const page = await listTenantLicenses(ctx, c.req.valid("query"));
    withBookmark(c, ctx);
    return c.json(page, 200);
  })
  .get("/:id", readers, valid("param", licenseIdParamSchema), async (c) => {
    const ctx = await licenseContext(c);
    const result = await getLicense(ctx, c.req.valid("param").id);
    withBookmark(c, ctx);
    return c.json(result, 200);
  });
