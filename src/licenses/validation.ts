import { SignatureFormatError, verifyVaultSignature } from "../crypto/verify.ts";
import { ApiError } from "../errors.ts";
import { signatureOptions, signParams } from "../keys/profiles.ts";
import type { LicenseContext } from "./context.ts";
import { MS_PER_DAY } from "./dates.ts";
import { publicFields, signedBytes } from "./document.ts";
import type { License, ValidationCode, ValidationResult } from "./schemas.ts";
import { LICENSE_FIELDS, licenseSchema } from "./schemas.ts";
import { licenseStateCache } from "./state-cache.ts";
import type { ValidationState } from "./store.ts";
import { readValidationState } from "./store.ts";
import { JWS_LICENSE_FORMAT, jwsSigningInput, licenseFromToken } from "./token.ts";

const VERSION_PREFIX = /^vault:v([1-9]\d{0,8}):/;

/**
 * Whether `license` was signed by this service's Transit key, exactly as it is. The public key
 * normally comes from this isolate's memory; Vault is asked only for a version never seen.
 */
export async function checkSignature(
  ctx: LicenseContext,
  raw: Record<string, unknown>,
  license: License,
): Promise<boolean> {
  // The key version is read first, to find the key; the payload is decoded by the verifier.
  const keyVersion = Number(VERSION_PREFIX.exec(license.signature)?.[1]);
  // The signed key_version field must name the key that made the signature.
  if (!Number.isSafeInteger(keyVersion) || keyVersion !== license.key_version) {
    return false;
  }

  const key = await ctx.keyring.verificationKey(keyVersion);
  if (!key) {
    return false;
  }
  let signed: Uint8Array;
  if (license.version >= JWS_LICENSE_FORMAT) {
    // Format 2 signs a signing input built from the known fields; any other field is unsigned.
    if (Object.keys(raw).some((field) => !LICENSE_FIELDS.has(field))) {
      return false;
    }
    const { signature: _signature, ...unsigned } = license;
    signed = jwsSigningInput(unsigned, ctx.keyring.keyName, key.keyType);
  } else {
    signed = signedBytes(raw);
  }
  if (ctx.verifyAt === "vault") {
    // Every check goes through Vault's transit/verify: slower, and down when Vault is.
    const params = signParams(key.keyType, keyVersion);
    return await ctx.vault.verify(ctx.keyring.keyName, signed, license.signature, params);
  }
  try {
    return await verifyVaultSignature(
      key,
      signed,
      license.signature,
      signatureOptions(key.keyType),
    );
  } catch (error) {
    if (error instanceof SignatureFormatError) {
      return false;
    }
    throw error;
  }
}

/**
 * A license as a client sent it: the object, or its compact token, which stands for the same
 * object. Anything else is a bad request.
 */
export function licenseInput(input: Record<string, unknown> | string): Record<string, unknown> {
  if (typeof input !== "string") {
    return input;
  }
  const fromToken = licenseFromToken(input);
  if (!fromToken) {
    throw new ApiError("INVALID_LICENSE", "the license token is not a license's compact JWS", {
      details: [{ path: "license", message: "expected a license object or license token" }],
    });
  }
  return fromToken;
}

/** Reads a license object as sent by a client; a malformed one is a bad request. */
export function parseLicense(raw: Record<string, unknown>): License {
  const parsed = licenseSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ApiError("INVALID_LICENSE", "the license is malformed", {
      details: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    });
  }
  return parsed.data;
}

export async function validateLicense(
  ctx: LicenseContext,
  input: Record<string, unknown> | string,
  module: string | undefined,
): Promise<ValidationResult> {
  const raw = licenseInput(input);
  const license = parseLicense(raw);
  const now = ctx.now();
  const answer = (code: ValidationCode, signatureValid: boolean): ValidationResult => {
    const expiresAt = Date.parse(license.expires_at);
    return {
      valid: code === "VALID",
      code,
      signature_valid: signatureValid,
      expired: signatureValid && now > expiresAt,
      days_until_expiry: signatureValid ? Math.floor((expiresAt - now) / MS_PER_DAY) : null,
      // Claims of a license whose signature failed are not repeated back as if they were true.
      license: signatureValid ? publicFields(raw) : null,
      validation_timestamp: new Date(now).toISOString(),
    };
  };

  if (!(await checkSignature(ctx, raw, license))) {
    return answer("INVALID_SIGNATURE", false);
  }
  const state = await currentState(ctx, license.license_id, now);
  return answer(decide(license, state, module, now), true);
}

function decide(
  license: License,
  { license: state, minKeyVersion }: ValidationState,
  module: string | undefined,
  now: number,
): ValidationCode {
  if (license.key_version < minKeyVersion) {
    return "KEY_VERSION_RETIRED";
  }
  if (!state) {
    return "NOT_FOUND";
  }
  if (state.revokeAt !== null && Date.parse(state.revokeAt) <= now) {
    return "REVOKED";
  }
  if (state.supersededBy !== null) {
    return "SUPERSEDED";
  }
  if (state.suspendedAt !== null) {
    return "SUSPENDED";
  }
  if (license.not_before !== undefined && Date.parse(license.not_before) > now) {
    return "NOT_YET_VALID";
  }
  if (now > Date.parse(license.expires_at)) {
    return "EXPIRED";
  }
  if (module !== undefined && !license.modules.includes(module)) {
    return "MODULE_NOT_LICENSED";
  }
  return "VALID";
}

async function currentState(
  ctx: LicenseContext,
  licenseId: string,
  now: number,
): Promise<ValidationState> {
  const cached = licenseStateCache.get(ctx.tenantId, licenseId, ctx.stateCacheMs, now);
  if (cached) {
    return cached.state;
  }
  const state = await readValidationState(
    ctx.sessions.read(),
    ctx.tenantId,
    licenseId,
    new Date(now).toISOString(),
  );
  if (ctx.stateCacheMs > 0) {
    licenseStateCache.set(ctx.tenantId, licenseId, state, now);
  }
  return state;
}
