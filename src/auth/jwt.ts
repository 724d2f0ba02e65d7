import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  jwtVerify,
  type RemoteJWKSet,
} from "jose";
import type { Config } from "../config.ts";
import { type Principal, ROLES, type Role } from "./principal.ts";

export type JwtSettings = NonNullable<Config["jwt"]>;

/**
 * A bearer token or Access assertion that does not hold. `reason` is short, fixed text fit to
 * be shown to the caller; it never contains the token or its claims.
 */
export class CredentialError extends Error {
  readonly reason: string;

  constructor(reason: string, options: { cause?: unknown } = {}) {
    super(`credential refused: ${reason}`, { cause: options.cause });
    this.name = "CredentialError";
    this.reason = reason;
  }
}

/** Tolerated clock difference between the token's issuer and this Worker. */
export const CLOCK_TOLERANCE_SECONDS = 30;
const DEFAULT_TENANT = "default";
const MAX_TENANT_LENGTH = 128;

const HMAC_ALGORITHMS = new Set(["HS256", "HS384", "HS512"]);
const ASYMMETRIC_ALGORITHMS = new Set([
  ...["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"],
  ...["ES256", "ES384", "ES512", "EdDSA", "Ed25519"],
]);

// One key set per URL and isolate: jose keeps the fetched keys, refetches them when they are
// older than its cache age or when a token names an unknown key (at most every 30 s).
const keySets = new Map<string, RemoteJWKSet>();

/** The remote key set at `url`, shared by every request of this isolate. */
export function remoteKeySet(url: string): JWTVerifyGetKey {
  let keySet = keySets.get(url);
  if (!keySet) {
    keySet = createRemoteJWKSet(new URL(url));
    keySets.set(url, keySet);
  }
  const resolve = keySet;
  return async (header, token) => {
    try {
      return await resolve(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey) {
        throw new CredentialError("unknown signing key", { cause: error });
      }
      if (error instanceof errors.JWKSMultipleMatchingKeys) {
        throw new CredentialError("ambiguous signing key", { cause: error });
      }
      // Unreachable, slow or malformed key set: the token may be fine, the keys are missing.
      throw new CredentialError("signing keys unavailable", { cause: error });
    }
  };
}

/** The `alg` of a compact JWS, read before anything is verified, to pick the key source. */
export function headerAlgorithm(token: string): string {
  let alg: unknown;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch (error) {
    throw new CredentialError("malformed token", { cause: error });
  }
  if (typeof alg !== "string") {
    throw new CredentialError("malformed token");
  }
  if (alg.toLowerCase() === "none") {
    throw new CredentialError("unsigned token");
  }
  return alg;
}

/** Verifies signature and claims with jose, turning its errors into credential errors. */
export async function verifyToken(
  token: string,
  key: Uint8Array | JWTVerifyGetKey,
  options: JWTVerifyOptions,
): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, key, options);
    return payload;
  } catch (error) {
    throw error instanceof CredentialError
      ? error
      : new CredentialError(reasonFor(error), { cause: error });
  }
}

function reasonFor(error: unknown): string {
  if (error instanceof errors.JWTExpired) {
    return "expired";
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === "missing") {
      return `missing ${error.claim}`;
    }
    const reasons: Record<string, string> = {
      nbf: "not yet valid",
      aud: "wrong audience",
      iss: "wrong issuer",
    };
    return reasons[error.claim] ?? `invalid ${error.claim}`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return "bad signature";
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return "algorithm not allowed";
  }
  if (error instanceof errors.JOSENotSupported) {
    return "algorithm not supported";
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return "malformed token";
  }
  // Anything else is a key that does not fit the algorithm or similar: the token is refused.
  return "invalid token";
}

/**
 * Verifies a bearer JWT and returns whom it stands for. The key source follows the token's
 * `alg`: an HMAC algorithm is only ever checked with the shared secret and an asymmetric one
 * only against the JWKS, so a public key can never be used as an HMAC secret.
 */
export async function verifyBearerJwt(token: string, settings: JwtSettings): Promise<Principal> {
  const alg = headerAlgorithm(token);
  if (!settings.algorithms.includes(alg)) {
    throw new CredentialError("algorithm not allowed");
  }
  let key: Uint8Array | JWTVerifyGetKey;
  if (HMAC_ALGORITHMS.has(alg) && settings.secret !== undefined) {
    key = new TextEncoder().encode(settings.secret);
  } else if (ASYMMETRIC_ALGORITHMS.has(alg) && settings.jwksUrl !== undefined) {
    key = remoteKeySet(settings.jwksUrl);
  } else {
    // Allow-listed, but no key source of its family is configured (or the family is unknown).
    throw new CredentialError("algorithm not allowed");
  }

  const payload = await verifyToken(token, key, {
    algorithms: [alg],
    audience: settings.audience,
    ...(settings.issuer === undefined ? {} : { issuer: settings.issuer }),
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    requiredClaims: ["exp", "sub"],
  });
  return jwtPrincipal(payload, settings);
}

function jwtPrincipal(payload: JWTPayload, settings: JwtSettings): Principal {
  if (typeof payload.sub !== "string" || payload.sub === "") {
    throw new CredentialError("missing sub");
  }
  const role = payload[settings.roleClaim];
  if (role === undefined) {
    throw new CredentialError("missing role");
  }
  if (!isRole(role)) {
    throw new CredentialError("unknown role");
  }
  const tenant = payload[settings.tenantClaim] ?? DEFAULT_TENANT;
  if (typeof tenant !== "string" || tenant === "" || tenant.length > MAX_TENANT_LENGTH) {
    throw new CredentialError("invalid tenant");
  }
  const issuer = typeof payload.iss === "string" && payload.iss !== "" ? payload.iss : "-";
  return { keyId: `jwt:${issuer}:${payload.sub}`, tenantId: tenant, role, via: "jwt" };
}

function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}
