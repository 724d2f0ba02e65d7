// Offline verification of license tokens: the compact JWS form of a license, checked against
// the service's public keys without calling the service. It proves who issued the license and
// what it says; it cannot know about revocation, suspension or renewal, which only the
// service's validation (LicenseClient.validate) sees.

import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import { LicenseKeySetError } from "./errors.ts";

/** The algorithms license tokens are signed with, one per Transit key type family. */
export const TOKEN_ALGORITHMS = ["EdDSA", "ES256", "ES384", "ES512", "PS256", "RS256"] as const;

export type OfflineValidationCode =
  | "VALID"
  | "INVALID_SIGNATURE"
  | "EXPIRED"
  | "NOT_YET_VALID"
  | "MODULE_NOT_LICENSED";

/** A license as a token carries it, named like the fields of the license document. */
export interface TokenLicense {
  license_id: string;
  customer: string;
  modules: string[];
  issued_at: string;
  expires_at: string;
  not_before?: string;
  metadata: Record<string, unknown>;
  issuer: string;
  version: number;
  renewed_from?: string;
  /** The signing key version that made the token, e.g. `licensing:v2`. */
  kid: string | null;
}

export interface TokenVerification {
  valid: boolean;
  code: OfflineValidationCode;
  /** Null when the signature does not hold: the claims of a forged token are not repeated. */
  license: TokenLicense | null;
  expiresAt: Date | null;
}

export interface VerifyTokenOptions {
  /**
   * The service's public keys: a JWK set (e.g. read from a file), or the URL it is published
   * at (`LicenseClient.jwksUrl()`), fetched once and refreshed when a token names an unknown
   * key. A jose key resolver is accepted as well.
   */
  jwks: JSONWebKeySet | string | URL | JWTVerifyGetKey;
  /** Also require this module to be licensed. */
  module?: string;
  /** Tolerated clock difference for `exp` and `nbf` (default 60). */
  clockToleranceSeconds?: number;
  /** Require this `iss` (the service's LICENSE_ISSUER). */
  issuer?: string;
  /** The time to check against, for tests and for replaying a decision. */
  now?: Date | number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// Key sets are reused across calls: jose caches the imported keys and the fetched set in them.
const remoteKeySets = new Map<string, JWTVerifyGetKey>();
const localKeySets = new WeakMap<object, JWTVerifyGetKey>();

function keyResolver(jwks: VerifyTokenOptions["jwks"]): JWTVerifyGetKey {
  if (typeof jwks === "function") {
    return jwks;
  }
  if (typeof jwks === "string" || jwks instanceof URL) {
    let url: URL;
    try {
      url = new URL(jwks);
    } catch {
      throw new TypeError(`jwks is neither a JWK set nor a URL: ${String(jwks)}`);
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw new TypeError(`jwks must be an http(s) URL, got ${url.protocol}`);
    }
    let resolver = remoteKeySets.get(url.href);
    if (resolver === undefined) {
      // The service publishes its set with max-age=300; keeping it no longer means a retired
      // key version stops verifying within five minutes here too.
      resolver = createRemoteJWKSet(url, { cacheMaxAge: 300_000 });
      remoteKeySets.set(url.href, resolver);
    }
    return resolver;
  }
  if (!isRecord(jwks) || !Array.isArray(jwks.keys)) {
    throw new TypeError('jwks must be a JWK set ({"keys": [...]}), its URL, or a key resolver');
  }
  let resolver = localKeySets.get(jwks);
  if (resolver === undefined) {
    try {
      resolver = createLocalJWKSet(jwks);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new TypeError(`jwks is not a usable JWK set: ${reason}`);
    }
    localKeySets.set(jwks, resolver);
  }
  return resolver;
}

/**
 * Lets "no key for this token" through as a token problem, and turns every other failure of
 * the key set (unreachable, malformed, a key that cannot be imported) into LicenseKeySetError.
 */
function guarded(resolve: JWTVerifyGetKey): JWTVerifyGetKey {
  return async (header, token) => {
    try {
      return await resolve(header, token);
    } catch (error) {
      if (
        error instanceof errors.JWKSNoMatchingKey ||
        error instanceof errors.JWKSMultipleMatchingKeys
      ) {
        throw error;
      }
      const reason = error instanceof Error ? error.message : String(error);
      throw new LicenseKeySetError(`the license keys are unavailable: ${reason}`, {
        cause: error,
      });
    }
  };
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item: unknown) => typeof item === "string");
}

function optionalString(value: unknown): value is string | undefined {
  return value === undefined || typeof value === "string";
}

function isTimestamp(value: unknown): value is string {
  return typeof value === "string" && !Number.isNaN(Date.parse(value));
}

/** The license a signed payload describes, or null when the payload is not a license. */
function licenseOf(payload: JWTPayload, kid: string | null): TokenLicense | null {
  const { jti, sub, iss, modules, metadata, lic } = payload;
  if (
    typeof jti !== "string" ||
    typeof sub !== "string" ||
    typeof iss !== "string" ||
    !isStringArray(modules) ||
    !isRecord(metadata) ||
    !isRecord(lic)
  ) {
    return null;
  }
  const { version, issued_at, expires_at, not_before, renewed_from } = lic;
  if (
    typeof version !== "number" ||
    !Number.isSafeInteger(version) ||
    !isTimestamp(issued_at) ||
    !isTimestamp(expires_at) ||
    !(not_before === undefined || isTimestamp(not_before)) ||
    !optionalString(renewed_from)
  ) {
    return null;
  }
  return {
    license_id: jti,
    customer: sub,
    modules,
    issued_at,
    expires_at,
    ...(not_before === undefined ? {} : { not_before }),
    metadata,
    issuer: iss,
    version,
    ...(renewed_from === undefined ? {} : { renewed_from }),
    kid,
  };
}

function checkOptions(options: VerifyTokenOptions): { tolerance: number; now: Date } {
  const tolerance = options.clockToleranceSeconds ?? 60;
  if (!Number.isFinite(tolerance) || tolerance < 0) {
    throw new TypeError(`clockToleranceSeconds must be a non-negative number, got ${tolerance}`);
  }
  const now = options.now === undefined ? new Date() : new Date(options.now);
  if (Number.isNaN(now.getTime())) {
    throw new TypeError("now must be a valid date");
  }
  if (options.module !== undefined && (typeof options.module !== "string" || !options.module)) {
    throw new TypeError("module must be a non-empty string");
  }
  if (options.issuer !== undefined && (typeof options.issuer !== "string" || !options.issuer)) {
    throw new TypeError("issuer must be a non-empty string");
  }
  return { tolerance, now };
}

function invalid(): TokenVerification {
  return { valid: false, code: "INVALID_SIGNATURE", license: null, expiresAt: null };
}

function answer(code: OfflineValidationCode, license: TokenLicense | null): TokenVerification {
  if (license === null) {
    return invalid();
  }
  return { valid: code === "VALID", code, license, expiresAt: new Date(license.expires_at) };
}

/**
 * Verifies a license token offline: its signature against `jwks`, its dates and, with
 * `module`, that module. Never throws for a bad token: forged, tampered, malformed, unsigned
 * (`alg: none`) or signed by an unknown key all answer INVALID_SIGNATURE. Throws TypeError for
 * bad options and LicenseKeySetError when the key set cannot be fetched or used.
 *
 * Revocation, suspension and renewal are not visible offline; ask the service (`validate`)
 * when they matter.
 */
export async function verifyLicenseToken(
  token: string,
  options: VerifyTokenOptions,
): Promise<TokenVerification> {
  const { tolerance, now } = checkOptions(options);
  const resolve = guarded(keyResolver(options.jwks));
  if (typeof token !== "string") {
    return invalid();
  }

  try {
    const { payload, protectedHeader } = await jwtVerify(token, resolve, {
      algorithms: [...TOKEN_ALGORITHMS],
      typ: "JWT",
      requiredClaims: ["iss", "sub", "jti", "iat", "exp"],
      clockTolerance: tolerance,
      currentDate: now,
      ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
    });
    const license = licenseOf(payload, protectedHeader.kid ?? null);
    if (license !== null && options.module !== undefined) {
      if (!license.modules.includes(options.module)) {
        return answer("MODULE_NOT_LICENSED", license);
      }
    }
    return answer("VALID", license);
  } catch (error) {
    if (error instanceof LicenseKeySetError) {
      throw error;
    }
    // jose checks dates only once the signature holds, so these payloads are authentic.
    if (error instanceof errors.JWTExpired && error.claim === "exp") {
      return answer("EXPIRED", licenseOf(error.payload, headerKid(token)));
    }
    if (
      error instanceof errors.JWTClaimValidationFailed &&
      error.claim === "nbf" &&
      error.reason === "check_failed"
    ) {
      return answer("NOT_YET_VALID", licenseOf(error.payload, headerKid(token)));
    }
    return invalid();
  }
}

/** The `kid` of a token whose signature has already been checked. */
function headerKid(token: string): string | null {
  try {
    const { kid } = decodeProtectedHeader(token);
    return typeof kid === "string" ? kid : null;
  } catch {
    return null;
  }
}
