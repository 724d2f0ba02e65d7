import { z } from "zod";
import { ApiError } from "../errors.ts";
import { signParams } from "../keys/profiles.ts";
import type { Actor, LicenseContext, Outcome } from "./context.ts";
import { changeOf, recordOutcome } from "./context.ts";
import { newLicenseId, signedBytes } from "./document.ts";
import type { IssueRequest, License, UnsignedLicense } from "./schemas.ts";
import { issueRequestSchema, LICENSE_FORMAT_VERSION } from "./schemas.ts";
import { licenseStateCache } from "./state-cache.ts";
import { insertLicense } from "./store.ts";

/** Checks what a schema cannot: that the validity window lies ahead and is not empty. */
export function checkValidityWindow(
  expiresAt: string,
  notBefore: string | undefined,
  now: number,
): string | undefined {
  if (Date.parse(expiresAt) <= now) {
    return "expires_at must be in the future";
  }
  if (notBefore !== undefined && Date.parse(notBefore) >= Date.parse(expiresAt)) {
    return "not_before must be before expires_at";
  }
  return undefined;
}

/** Builds the unsigned document for a request, signed with the key version given. */
function draft(
  ctx: LicenseContext,
  request: IssueRequest,
  keyVersion: number,
  issuedAt: string,
): UnsignedLicense {
  const license: UnsignedLicense = {
    license_id: newLicenseId(),
    customer: request.customer,
    modules: request.modules,
    issued_at: issuedAt,
    expires_at: request.expires_at,
    metadata: request.metadata,
    issuer: ctx.issuer,
    version: LICENSE_FORMAT_VERSION,
    key_version: keyVersion,
  };
  if (request.not_before !== undefined) {
    license.not_before = request.not_before;
  }
  return license;
}

export type IssueOutcome = Outcome<{ success: true; license: License }>;

/** Signs and stores one license. Nothing is stored unless Vault signed it. */
export async function issueLicense(
  ctx: LicenseContext,
  request: IssueRequest,
  actor: Actor,
): Promise<IssueOutcome> {
  const problem = checkValidityWindow(request.expires_at, request.not_before, ctx.now());
  if (problem) {
    throw new ApiError("INVALID_LICENSE", problem, { details: { field: "expires_at" } });
  }

  const change = changeOf(ctx, actor);
  const license = await signLicense(ctx, (version) => draft(ctx, request, version, change.at));

  const outcome: IssueOutcome = { status: 201, body: { success: true, license } };
  const db = ctx.sessions.write();
  await db.batch([...insertLicense(db, license, change), ...recordOutcome(ctx, db, outcome)]);
  ctx.sessions.wrote();
  licenseStateCache.delete(ctx.tenantId, license.license_id);
  return outcome;
}

/** Signs a document built for the current key version with Vault Transit. */
export async function signLicense(
  ctx: LicenseContext,
  build: (keyVersion: number) => UnsignedLicense,
): Promise<License> {
  const key = await ctx.keyring.signingKey();
  const unsigned = build(key.latestVersion);
  const signed = await ctx.vault.sign(
    key.name,
    signedBytes(unsigned),
    signParams(key.type, key.latestVersion),
  );
  return { ...unsigned, signature: signed.signature };
}

export type BatchItemResult =
  | { index: number; success: true; license: License }
  | { index: number; success: false; code: string; error: string; details: unknown };

/**
 * Issues many licenses with one Vault round trip and one D1 batch. Items that fail their own
 * checks, or that Vault refuses, are reported and skipped; the rest are stored together, so
 * the batch never leaves half of what was signed stored.
 */
export type BatchOutcome = Outcome<{
  success: boolean;
  issued: number;
  failed: number;
  results: BatchItemResult[];
}>;

export async function issueBatch(
  ctx: LicenseContext,
  items: unknown[],
  actor: Actor,
): Promise<BatchOutcome> {
  if (items.length > ctx.batchIssueMax) {
    throw new ApiError("INVALID_LICENSE", `a batch holds at most ${ctx.batchIssueMax} licenses`, {
      details: { field: "licenses", max: ctx.batchIssueMax, received: items.length },
    });
  }

  const change = changeOf(ctx, actor);
  const results: BatchItemResult[] = [];
  const signed: License[] = [];
  const accepted: { index: number; request: IssueRequest }[] = [];
  items.forEach((item, index) => {
    const parsed = issueRequestSchema.safeParse(item);
    const problem = parsed.success
      ? checkValidityWindow(parsed.data.expires_at, parsed.data.not_before, ctx.now())
      : z.prettifyError(parsed.error);
    if (parsed.success && problem === undefined) {
      accepted.push({ index, request: parsed.data });
    } else {
      const details = parsed.success ? null : parsed.error.issues;
      results.push({
        index,
        success: false,
        code: "INVALID_LICENSE",
        error: String(problem),
        details,
      });
    }
  });

  if (accepted.length > 0) {
    const key = await ctx.keyring.signingKey();
    const drafts = accepted.map((a) => draft(ctx, a.request, key.latestVersion, change.at));
    const signatures = await ctx.vault.signBatch(
      key.name,
      drafts.map((d) => signedBytes(d)),
      signParams(key.type, key.latestVersion),
    );
    signatures.forEach((result, i) => {
      const index = accepted[i]?.index ?? -1;
      const unsigned = drafts[i];
      if ("error" in result || !unsigned) {
        const error = "error" in result ? result.error : "missing draft";
        results.push({ index, success: false, code: "VAULT_ERROR", error, details: null });
        return;
      }
      const license = { ...unsigned, signature: result.signature };
      signed.push(license);
      results.push({ index, success: true, license });
    });
  }

  results.sort((a, b) => a.index - b.index);
  const issued = signed.length;
  const outcome: BatchOutcome = {
    status: issued > 0 ? 201 : 200,
    body: { success: issued === results.length, issued, failed: results.length - issued, results },
  };
  const first = signed[0];
  if (first) {
    const db = ctx.sessions.write();
    await db.batch([
      ...signed.flatMap((license) => insertLicense(db, license, change)),
      ...recordOutcome(ctx, db, outcome, first.license_id),
    ]);
    ctx.sessions.wrote();
  }
  return outcome;
}
