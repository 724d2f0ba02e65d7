// Vault Transit key types, hash algorithms and sign/verify options: their names, Vault's
// defaults and the validation of untyped values. Free of WebCrypto calls, so that configuration
// code can check options without importing a key.

import type { MarshalingAlgorithm } from "./vault-signature.ts";

export type VaultKeyType =
  | "ed25519"
  | "ecdsa-p256"
  | "ecdsa-p384"
  | "ecdsa-p521"
  | "rsa-2048"
  | "rsa-3072"
  | "rsa-4096";

export const VAULT_KEY_TYPES: readonly VaultKeyType[] = Object.freeze([
  "ed25519",
  "ecdsa-p256",
  "ecdsa-p384",
  "ecdsa-p521",
  "rsa-2048",
  "rsa-3072",
  "rsa-4096",
]);

export type EcdsaKeyType = "ecdsa-p256" | "ecdsa-p384" | "ecdsa-p521";
export type RsaKeyType = "rsa-2048" | "rsa-3072" | "rsa-4096";

/** WebCrypto curve name and field size (the length of r and of s) per ECDSA key. */
export const CURVES: Readonly<Record<EcdsaKeyType, { namedCurve: string; fieldBytes: number }>> = {
  "ecdsa-p256": { namedCurve: "P-256", fieldBytes: 32 },
  "ecdsa-p384": { namedCurve: "P-384", fieldBytes: 48 },
  "ecdsa-p521": { namedCurve: "P-521", fieldBytes: 66 },
};

export const RSA_MODULUS_BITS: Readonly<Record<RsaKeyType, number>> = {
  "rsa-2048": 2048,
  "rsa-3072": 3072,
  "rsa-4096": 4096,
};

export function isVaultKeyType(value: string): value is VaultKeyType {
  return (VAULT_KEY_TYPES as readonly string[]).includes(value);
}

export function isEcdsa(keyType: VaultKeyType): keyType is EcdsaKeyType {
  return keyType in CURVES;
}

/** Vault hash_algorithm names that WebCrypto can verify. */
export type HashAlgorithm = "sha2-256" | "sha2-384" | "sha2-512";

export const HASH_ALGORITHMS: readonly HashAlgorithm[] = Object.freeze([
  "sha2-256",
  "sha2-384",
  "sha2-512",
]);

/** WebCrypto name and digest size per hash. */
export const HASHES: Readonly<Record<HashAlgorithm, { name: string; bytes: number }>> = {
  "sha2-256": { name: "SHA-256", bytes: 32 },
  "sha2-384": { name: "SHA-384", bytes: 48 },
  "sha2-512": { name: "SHA-512", bytes: 64 },
};

// Names Vault accepts that WebCrypto has no (or no acceptable) implementation for.
const UNSUPPORTED_VAULT_HASHES: ReadonlySet<string> = new Set([
  "sha1",
  "sha2-224",
  "sha3-224",
  "sha3-256",
  "sha3-384",
  "sha3-512",
]);

export type RsaSignatureAlgorithm = "pss" | "pkcs1v15";

/**
 * Vault's salt_length. As in Vault, 0 means "auto" and -1 means "hash", because Vault hands
 * the number straight to Go's rsa.PSSOptions where those values are the named modes.
 */
export type SaltLength = "auto" | "hash" | number;

/** Vault sign/verify parameters; omitted fields take Vault's defaults. */
export interface SignatureOptions {
  hashAlgorithm?: HashAlgorithm;
  signatureAlgorithm?: RsaSignatureAlgorithm;
  marshalingAlgorithm?: MarshalingAlgorithm;
  saltLength?: SaltLength;
}

export interface ImportOptions extends SignatureOptions {
  /** When set, signatures labelled with any other version verify as false. */
  keyVersion?: number;
}

export type ResolvedSignatureOptions = Readonly<Required<SignatureOptions>>;

/** Thrown when a public key cannot be used for the declared Vault key type. */
export class KeyFormatError extends Error {
  override name = "KeyFormatError";
}

/** Thrown for option values Vault would reject or WebCrypto cannot verify. */
export class SignatureOptionsError extends Error {
  override name = "SignatureOptionsError";
}

export const VAULT_DEFAULT_OPTIONS: ResolvedSignatureOptions = Object.freeze({
  hashAlgorithm: "sha2-256",
  signatureAlgorithm: "pss",
  marshalingAlgorithm: "asn1",
  saltLength: "auto",
});

function parseHashAlgorithm(value: unknown): HashAlgorithm {
  if (typeof value === "string") {
    for (const name of HASH_ALGORITHMS) {
      if (name === value) {
        return name;
      }
    }
    if (UNSUPPORTED_VAULT_HASHES.has(value)) {
      throw new SignatureOptionsError(
        `hash algorithm "${value}" is not supported: only ${HASH_ALGORITHMS.join(", ")} ` +
          "can be verified with WebCrypto",
      );
    }
    if (value === "none") {
      throw new SignatureOptionsError(
        'hash algorithm "none" (prehashed input) is not supported: the verifier hashes the input',
      );
    }
  }
  throw new SignatureOptionsError(`unknown hash algorithm ${JSON.stringify(value)}`);
}

function parseSignatureAlgorithm(value: unknown): RsaSignatureAlgorithm {
  if (value === "pss" || value === "pkcs1v15") {
    return value;
  }
  throw new SignatureOptionsError(
    `signature algorithm must be "pss" or "pkcs1v15", got ${JSON.stringify(value)}`,
  );
}

function parseMarshalingAlgorithm(value: unknown): MarshalingAlgorithm {
  if (value === "asn1" || value === "jws") {
    return value;
  }
  throw new SignatureOptionsError(
    `marshaling algorithm must be "asn1" or "jws", got ${JSON.stringify(value)}`,
  );
}

function parseSaltLength(value: unknown): SaltLength {
  if (typeof value === "string") {
    const lower = value.toLowerCase();
    if (lower === "auto" || lower === "hash") {
      return lower;
    }
    if (/^-?[0-9]+$/.test(value)) {
      return parseSaltLength(Number(value));
    }
  }
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= -1) {
    if (value === 0) {
      return "auto";
    }
    return value === -1 ? "hash" : value;
  }
  throw new SignatureOptionsError(
    `salt length must be "auto", "hash" or an integer >= -1, got ${JSON.stringify(value)}`,
  );
}

/** Applies `overrides` field by field on top of `base`, validating each one it uses. */
export function resolveOptions(
  base: ResolvedSignatureOptions,
  overrides: SignatureOptions | undefined,
): ResolvedSignatureOptions {
  if (overrides === undefined) {
    return base;
  }
  return {
    hashAlgorithm:
      overrides.hashAlgorithm === undefined
        ? base.hashAlgorithm
        : parseHashAlgorithm(overrides.hashAlgorithm),
    signatureAlgorithm:
      overrides.signatureAlgorithm === undefined
        ? base.signatureAlgorithm
        : parseSignatureAlgorithm(overrides.signatureAlgorithm),
    marshalingAlgorithm:
      overrides.marshalingAlgorithm === undefined
        ? base.marshalingAlgorithm
        : parseMarshalingAlgorithm(overrides.marshalingAlgorithm),
    saltLength:
      overrides.saltLength === undefined ? base.saltLength : parseSaltLength(overrides.saltLength),
  };
}

/** String-valued options as they arrive from flags, environment or JSON. */
export interface RawSignatureOptions {
  hashAlgorithm?: string | undefined;
  signatureAlgorithm?: string | undefined;
  marshalingAlgorithm?: string | undefined;
  saltLength?: string | number | undefined;
}

/** Validates untyped option values with Vault's rules; throws SignatureOptionsError. */
export function parseSignatureOptions(raw: RawSignatureOptions): SignatureOptions {
  const options: SignatureOptions = {};
  if (raw.hashAlgorithm !== undefined) {
    options.hashAlgorithm = parseHashAlgorithm(raw.hashAlgorithm);
  }
  if (raw.signatureAlgorithm !== undefined) {
    options.signatureAlgorithm = parseSignatureAlgorithm(raw.signatureAlgorithm);
  }
  if (raw.marshalingAlgorithm !== undefined) {
    options.marshalingAlgorithm = parseMarshalingAlgorithm(raw.marshalingAlgorithm);
  }
  if (raw.saltLength !== undefined) {
    options.saltLength = parseSaltLength(raw.saltLength);
  }
  return options;
}
