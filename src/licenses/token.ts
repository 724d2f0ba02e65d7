import { canonicalJson } from "../crypto/canonical.ts";
import { decodeBase64Url, encodeBase64Url } from "../crypto/encoding.ts";
import type { VaultKeyType } from "../crypto/verify.ts";
import { jwsAlgorithm, keyId } from "../keys/profiles.ts";
import type { License, UnsignedLicense } from "./schemas.ts";

/**
 * Licenses of format 2 are signed as JWS: Vault signs the JWS signing input
 * `base64url(header).base64url(claims)`, both canonical JSON derived from the license's fields.
 * The same signature therefore serves the license object (whose signing input is rebuilt from
 * its fields) and the compact token (which carries the signing input as it is).
 */
export const JWS_LICENSE_FORMAT = 2;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

export interface LicenseClaims {
  iss: string;
  sub: string;
  jti: string;
  iat: number;
  exp: number;
  nbf?: number;
  modules: string[];
  metadata: Record<string, unknown>;
  /** The license's own timestamps and format, which whole-second JWT claims cannot carry. */
  lic: {
    version: number;
    issued_at: string;
    expires_at: string;
    not_before?: string;
    renewed_from?: string;
  };
}

export interface TokenHeader {
  alg: string;
  kid: string;
  typ: "JWT";
}

/** The JWT claims of a license; `exp` and `nbf` round so the token is never laxer. */
export function licenseClaims(license: UnsignedLicense): LicenseClaims {
  const lic: LicenseClaims["lic"] = {
    version: license.version,
    issued_at: license.issued_at,
    expires_at: license.expires_at,
  };
  const claims: LicenseClaims = {
    iss: license.issuer,
    sub: license.customer,
    jti: license.license_id,
    iat: Math.floor(Date.parse(license.issued_at) / 1_000),
    exp: Math.ceil(Date.parse(license.expires_at) / 1_000),
    modules: license.modules,
    metadata: license.metadata,
    lic,
  };
  if (license.not_before !== undefined) {
    lic.not_before = license.not_before;
    claims.nbf = Math.ceil(Date.parse(license.not_before) / 1_000);
  }
  if (license.renewed_from !== undefined) {
    lic.renewed_from = license.renewed_from;
  }
  return claims;
}

export function tokenHeader(keyName: string, keyType: VaultKeyType, version: number): TokenHeader {
  return { alg: jwsAlgorithm(keyType), kid: keyId(keyName, version), typ: "JWT" };
}

function encodeJson(value: unknown): string {
  return encodeBase64Url(encoder.encode(canonicalJson(value)));
}

/** The bytes Vault signs for a format-2 license. */
export function jwsSigningInput(
  license: UnsignedLicense,
  keyName: string,
  keyType: VaultKeyType,
): Uint8Array {
  const header = tokenHeader(keyName, keyType, license.key_version);
  return encoder.encode(`${encodeJson(header)}.${encodeJson(licenseClaims(license))}`);
}

/** The compact JWS of a signed format-2 license: its signing input and its signature. */
export function licenseToken(license: License, keyName: string, keyType: VaultKeyType): string {
  const { signature, ...unsigned } = license;
  const input = new TextDecoder().decode(jwsSigningInput(unsigned, keyName, keyType));
  return `${input}.${signature.slice(signature.lastIndexOf(":") + 1)}`;
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const KID = /^(.+):v([1-9]\d{0,8})$/;

/**
 * The license object a token stands for, or undefined when the string is not a license token
 * at all. Its signature is not checked here: the object goes through the same verification as
 * any license object, whose rebuilt signing input must then equal the token's exactly.
 */
export function licenseFromToken(token: string): Record<string, unknown> | undefined {
  if (!COMPACT_JWS.test(token)) {
    return undefined;
  }
  const [headerPart = "", payloadPart = "", signaturePart = ""] = token.split(".");
  let header: unknown;
  let claims: unknown;
  try {
    header = JSON.parse(decoder.decode(decodeBase64Url(headerPart)));
    claims = JSON.parse(decoder.decode(decodeBase64Url(payloadPart)));
  } catch {
    return undefined;
  }
  if (!isRecord(header) || !isRecord(claims) || !isRecord(claims.lic)) {
    return undefined;
  }
  const version = typeof header.kid === "string" ? KID.exec(header.kid)?.[2] : undefined;
  const lic = claims.lic;
  const license: Record<string, unknown> = {
    license_id: claims.jti,
    customer: claims.sub,
    modules: claims.modules,
    issued_at: lic.issued_at,
    expires_at: lic.expires_at,
    metadata: claims.metadata,
    issuer: claims.iss,
    version: lic.version,
    key_version: version === undefined ? undefined : Number(version),
    signature: `vault:v${version ?? 0}:${signaturePart}`,
  };
  if (lic.not_before !== undefined) {
    license.not_before = lic.not_before;
  }
  if (lic.renewed_from !== undefined) {
    license.renewed_from = lic.renewed_from;
  }
  return license;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
