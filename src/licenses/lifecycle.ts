import { ApiError } from "../errors.ts";
import type { Actor, LicenseContext, Outcome } from "./context.ts";
import { changeOf, recordOutcome } from "./context.ts";
import { newLicenseId, publicFields } from "./document.ts";
import type { SignedLicense } from "./issuing.ts";
import { checkValidityWindow, signLicense } from "./issuing.ts";
import type { License, LicenseStatus, RenewRequest } from "./schemas.ts";
import { licenseStateCache } from "./state-cache.ts";
import type { HistoryEntry, LicenseState, StoredLicense } from "./store.ts";
import {
  listLicenses,
  readHistory,
  readLicense,
  recordEvent,
  renewStatements,
  stateChange,
} from "./store.ts";
import { JWS_LICENSE_FORMAT } from "./token.ts";
import { checkSignature, licenseInput, parseLicense } from "./validation.ts";

export interface LicenseView {
  license: License;
  status: LicenseStatus;
  revoked_at: string | null;
  revocation_reason: string | null;
  suspended_at: string | null;
  superseded_by: string | null;
}

function view(stored: StoredLicense): LicenseView {
  const { state } = stored;
  return {
    license: stored.license,
    status: state.status,
    revoked_at: state.revokeAt,
    revocation_reason: state.revocationReason,
    suspended_at: state.suspendedAt,
    superseded_by: state.supersededBy,
  };
}

async function mustRead(ctx: LicenseContext, licenseId: string): Promise<StoredLicense> {
  const now = new Date(ctx.now()).toISOString();
  const stored = await readLicense(ctx.sessions.read(), ctx.tenantId, licenseId, now);
  if (!stored) {
    throw new ApiError("NOT_FOUND", `license ${licenseId} does not exist`);
  }
  return stored;
}

export async function getLicense(
  ctx: LicenseContext,
  licenseId: string,
): Promise<LicenseView & { history: HistoryEntry[] }> {
  const stored = await mustRead(ctx, licenseId);
  const history = await readHistory(ctx.sessions.read(), ctx.tenantId, licenseId);
  return { ...view(stored), history };
}

/**
 * A new license with a later expiry that replaces `previous`; the old one reports SUPERSEDED
 * from the same D1 batch that stores the new one.
 */
export async function renewLicense(
  ctx: LicenseContext,
  request: RenewRequest,
  actor: Actor,
): Promise<Outcome<{ success: true } & SignedLicense>> {
  const previous = await licenseToRenew(ctx, request);
  const problem = refusal(previous.state, "renewed");
  if (problem) {
    throw new ApiError("CONFLICT", problem, { details: { status: previous.state.status } });
  }
  const windowProblem = checkValidityWindow(request.new_expires_at, undefined, ctx.now());
  if (windowProblem) {
    throw new ApiError("INVALID_LICENSE", windowProblem.replace("expires_at", "new_expires_at"));
  }

  const old = previous.license;
  const metadata: Record<string, unknown> = { ...old.metadata };
  for (const [key, value] of Object.entries(request.metadata_updates ?? {})) {
    if (value === null) {
      delete metadata[key];
    } else {
      metadata[key] = value;
    }
  }
  const modules = [...new Set([...old.modules, ...(request.extend_modules ?? [])])];
  const change = changeOf(ctx, actor);
  const renewed = await signLicense(ctx, (keyVersion) => ({
    license_id: newLicenseId(),
    customer: old.customer,
    modules,
    issued_at: change.at,
    expires_at: request.new_expires_at,
    metadata,
    issuer: ctx.issuer,
    version: JWS_LICENSE_FORMAT,
    key_version: keyVersion,
    renewed_from: old.license_id,
  }));

  const outcome = { status: 201, body: { success: true, ...renewed } } as const;
  const db = ctx.sessions.write();
  const renewedFrom = old.license_id;
  const newId = renewed.license.license_id;
  const [supersede] = await db.batch([
    ...renewStatements(db, { ...renewed.license, renewed_from: renewedFrom }, change),
    await ctx.audit.entry(
      db,
      "license.renewed",
      newId,
      { license: publicFields(renewed.license), renewed_from: renewedFrom },
      newId,
    ),
    await ctx.audit.entry(db, "license.superseded", renewedFrom, { superseded_by: newId }, newId),
    ...recordOutcome(ctx, db, outcome, newId),
  ]);
  ctx.sessions.wrote();
  ctx.audit.committed();
  licenseStateCache.delete(ctx.tenantId, renewedFrom);
  if ((supersede?.meta.changes ?? 0) !== 1) {
    // Someone renewed, suspended or revoked it between our read and our write.
    throw new ApiError("CONFLICT", `license ${renewedFrom} changed while it was being renewed`);
  }
  return outcome;
}

async function licenseToRenew(ctx: LicenseContext, request: RenewRequest): Promise<StoredLicense> {
  if (request.license) {
    const raw = licenseInput(request.license);
    const license = parseLicense(raw);
    if (!(await checkSignature(ctx, raw, license))) {
      throw new ApiError("INVALID_SIGNATURE", "the license's signature is not valid");
    }
    return await mustRead(ctx, license.license_id);
  }
  return await mustRead(ctx, String(request.license_id));
}

function refusal(state: LicenseState, action: string): string | undefined {
  if (["revoked", "superseded", "suspended"].includes(state.status)) {
    return `a ${state.status} license cannot be ${action}`;
  }
  return undefined;
}

export async function revokeLicense(
  ctx: LicenseContext,
  licenseId: string,
  reason: string,
  effectiveDate: string | undefined,
  actor: Actor,
): Promise<LicenseView> {
  const change = changeOf(ctx, actor);
  // A date in the past means at once: a revocation cannot rewrite what validations already said.
  const effectiveAt =
    effectiveDate && Date.parse(effectiveDate) > Date.parse(change.at) ? effectiveDate : change.at;
  const event = effectiveAt === change.at ? "revoked" : "revocation_scheduled";
  const db = ctx.sessions.write();
  return await changeState(ctx, licenseId, change, [
    stateChange(db, licenseId, change, { kind: "revoke", reason, effectiveAt }),
    recordEvent(db, licenseId, change, event, reason, effectiveAt),
    await ctx.audit.entry(
      db,
      `license.${event}`,
      licenseId,
      { reason, effective_at: effectiveAt },
      licenseId,
    ),
  ]);
}

/** Suspends a license (reversibly), or lifts its suspension. */
export async function setSuspended(
  ctx: LicenseContext,
  licenseId: string,
  suspended: boolean,
  reason: string | undefined,
  actor: Actor,
): Promise<LicenseView> {
  const change = changeOf(ctx, actor);
  const db = ctx.sessions.write();
  const event = suspended ? "suspended" : "reinstated";
  return await changeState(ctx, licenseId, change, [
    stateChange(db, licenseId, change, { kind: suspended ? "suspend" : "reinstate" }),
    recordEvent(db, licenseId, change, event, reason ?? null),
    await ctx.audit.entry(db, `license.${event}`, licenseId, { reason: reason ?? null }, licenseId),
  ]);
}

/** Runs a guarded update and its history entry; explains a refusal when the guard held. */
async function changeState(
  ctx: LicenseContext,
  licenseId: string,
  change: { at: string },
  statements: D1PreparedStatement[],
): Promise<LicenseView> {
  const db = ctx.sessions.write();
  const [update] = await db.batch(statements);
  ctx.sessions.wrote();
  ctx.audit.committed();
  licenseStateCache.delete(ctx.tenantId, licenseId);

  const stored = await readLicense(db, ctx.tenantId, licenseId, change.at);
  if (!stored) {
    throw new ApiError("NOT_FOUND", `license ${licenseId} does not exist`);
  }
  if ((update?.meta.changes ?? 0) === 0) {
    const { status } = stored.state;
    // Suspending or reinstating a license that has run out would change nothing users notice.
    const code = status === "expired" ? "EXPIRED_LICENSE" : "CONFLICT";
    throw new ApiError(code, `the license is ${status}; nothing was changed`, {
      details: { status },
    });
  }
  return view(stored);
}

export interface ListQuery {
  customer?: string | undefined;
  status?: LicenseStatus | undefined;
  page: number;
  limit: number;
  cursor?: string | undefined;
}

export interface ListPage {
  licenses: LicenseView[];
  page: number | null;
  limit: number;
  has_more: boolean;
  next_cursor: string | null;
}

/** One page of licenses, newest first; `cursor` pages stay stable while licenses are issued. */
export async function listTenantLicenses(ctx: LicenseContext, query: ListQuery): Promise<ListPage> {
  const limit = Math.min(query.limit, ctx.listLimitMax);
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const rows = await listLicenses(
    ctx.sessions.read(),
    ctx.tenantId,
    {
      customer: query.customer,
      status: query.status,
      after,
      offset: after ? 0 : (query.page - 1) * limit,
      limit: limit + 1,
    },
    new Date(ctx.now()).toISOString(),
  );
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const hasMore = rows.length > limit;
  return {
    licenses: page.map(view),
    page: after ? null : query.page,
    limit,
    has_more: hasMore,
    next_cursor: hasMore && last ? encodeCursor(last.license) : null,
  };
}

function encodeCursor(license: License): string {
  const json = JSON.stringify([license.issued_at, license.license_id]);
  return btoa(json).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function decodeCursor(cursor: string): { issuedAt: string; licenseId: string } {
  try {
    const json = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
    const value: unknown = JSON.parse(json);
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === "string" &&
      typeof value[1] === "string"
    ) {
      return { issuedAt: value[0], licenseId: value[1] };
    }
  } catch {
    // Reported below as the same error as a well-formed but foreign cursor.
  }
  throw new ApiError("INVALID_LICENSE", "cursor is not one this service returned", {
    details: { field: "cursor" },
  });
}
