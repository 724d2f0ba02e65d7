import { z } from "zod";
import { ApiError } from "../errors.ts";
import type { SigningKey } from "../keys/keyring.ts";
import { signParams } from "../keys/profiles.ts";
import type { Actor, LicenseContext, Outcome } from "./context.ts";
import { changeOf, recordOutcome } from "./context.ts";
import { newLicenseId, publicFields } from "./document.ts";
import type { IssueRequest, License, UnsignedLicense } from "./schemas.ts";
import { issueRequestSchema } from "./schemas.ts";
import { licenseStateCache } from "./state-cache.ts";
import { insertLicense } from "./store.ts";
import { JWS_LICENSE_FORMAT, jwsSigningInput, licenseToken } from "./token.ts";

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

/** Builds the unsigned document for a request, to be signed with the key version given. */
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
    version: JWS_LICENSE_FORMAT,
    key_version: keyVersion,
  };
  if (request.not_before !== undefined) {
    license.not_before = request.not_before;
  }
  return license;
}

/** A signed license and the compact JWS that carries the same signature. */
export interface SignedLicense {
  license: License;
  license_token: string;
}

export type IssueOutcome = Outcome<{ success: true } & SignedLicense>;

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
  const signed = await signLicense(
    ctx,
    (version) => draft(ctx, request, version, change.at),
    request.key_version,
  );

  const outcome: IssueOutcome = { status: 201, body: { success: true, ...signed } };
  const db = ctx.sessions.write();
  await db.batch([
    ...insertLicense(db, signed.license, change),
    await ctx.audit.entry(db, "license.issued", signed.license.license_id, {
      license: publicFields(signed.license),
    }),
    ...recordOutcome(ctx, db, outcome),
  ]);
  ctx.sessions.wrote();
  ctx.audit.committed();
  licenseStateCache.delete(ctx.tenantId, signed.license.license_id);
  return outcome;
}

/**
 * The key and version to sign with: the latest, or one chosen (as Vault allows, for
 * migrations) that is neither retired nor newer than the latest.
 */
export async function signingVersion(
  ctx: LicenseContext,
  chosen?: number,
): Promise<SigningKey & { version: number }> {
  const key = await ctx.keyring.signingKey();
  if (chosen === undefined) {
    return { ...key, version: key.latestVersion };
  }
  if (chosen < key.minVersion || chosen > key.latestVersion) {
    throw new ApiError(
      "INVALID_LICENSE",
      `key_version must be between ${key.minVersion} and ${key.latestVersion}`,
      { details: { field: "key_version" } },
    );
  }
  return { ...key, version: chosen };
}

/** Signs a document, built for the key version used, with Vault Transit. */
export async function signLicense(
  ctx: LicenseContext,
  build: (keyVersion: number) => UnsignedLicense,
  chosenVersion?: number,
): Promise<SignedLicense> {
  const key = await signingVersion(ctx, chosenVersion);
  const unsigned = build(key.version);
  const signed = await ctx.vault.sign(
    key.name,
    jwsSigningInput(unsigned, key.name, key.type),
    signParams(key.type, key.version),
  );
  const license = { ...unsigned, signature: signed.signature };
  return { license, license_token: licenseToken(license, key.name, key.type) };
}

export type BatchItemResult =
  | ({ index: number; success: true } & SignedLicense)
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
    const key = await signingVersion(ctx);
    const drafts = accepted.map((a) => draft(ctx, a.request, key.version, change.at));
    const signatures = await ctx.vault.signBatch(
      key.name,
      drafts.map((d) => jwsSigningInput(d, key.name, key.type)),
      signParams(key.type, key.version),
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
      const license_token = licenseToken(license, key.name, key.type);
      results.push({ index, success: true, license, license_token });
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
    const audits = await Promise.all(
      signed.map((license) =>
        ctx.audit.entry(db, "license.issued", license.license_id, {
          license: publicFields(license),
        }),
      ),
    );
    await db.batch([
      ...signed.flatMap((license) => insertLicense(db, license, change)),
      ...audits,
      ...recordOutcome(ctx, db, outcome, first.license_id),
    ]);
    ctx.sessions.wrote();
    ctx.audit.committed();
  }
  return outcome;
}
