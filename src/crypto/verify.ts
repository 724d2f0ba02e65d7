// The single verifier for Vault Transit signatures, shared by the Worker and the CLI. It relies
// on nothing but WebCrypto so that it behaves identically in workerd, Node and browsers.
//
// Error model: a signature that decodes into bytes of the right shape for the key but does not
// verify yields `false` (this includes a signature labelled with another key version than the
// one the key was imported for). A signature string or payload that cannot be a signature for
// the key at all (bad prefix or version, bad base64, malformed or non-minimal DER, a payload of
// the wrong length) throws SignatureFormatError. Vault returns false for some of those instead,
// but answering them uniformly keeps workerd, Node and browsers from diverging on edge cases.
// Invalid or unsupported options throw SignatureOptionsError; unusable keys throw
// KeyFormatError.

import { decodeBase64, EncodingError, pemToDer } from "./encoding.ts";
import {
  type MarshalingAlgorithm,
  parseVaultSignature,
  SignatureFormatError,
} from "./vault-signature.ts";

export type { MarshalingAlgorithm } from "./vault-signature.ts";
export { SignatureFormatError } from "./vault-signature.ts";

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

/** Vault hash_algorithm names that WebCrypto can verify. */
export type HashAlgorithm = "sha2-256" | "sha2-384" | "sha2-512";

export const HASH_ALGORITHMS: readonly HashAlgorithm[] = Object.freeze([
  "sha2-256",
  "sha2-384",
  "sha2-512",
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

export interface VerificationKey {
  readonly keyType: VaultKeyType;
  readonly cryptoKey: CryptoKey;
  readonly keyVersion: number | undefined;
  /** Options the key was imported with; RSA keys are bound to their hash and scheme. */
  readonly options: ResolvedSignatureOptions;
  /** RSA modulus size as reported by the imported key; undefined for other key types. */
  readonly modulusBits: number | undefined;
}

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

const HASHES: Readonly<Record<HashAlgorithm, { name: string; bytes: number }>> = {
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

type EcdsaKeyType = "ecdsa-p256" | "ecdsa-p384" | "ecdsa-p521";
type RsaKeyType = "rsa-2048" | "rsa-3072" | "rsa-4096";

const CURVES: Readonly<Record<EcdsaKeyType, { namedCurve: string; fieldBytes: number }>> = {
  "ecdsa-p256": { namedCurve: "P-256", fieldBytes: 32 },
  "ecdsa-p384": { namedCurve: "P-384", fieldBytes: 48 },
  "ecdsa-p521": { namedCurve: "P-521", fieldBytes: 66 },
};

const RSA_MODULUS_BITS: Readonly<Record<RsaKeyType, number>> = {
  "rsa-2048": 2048,
  "rsa-3072": 3072,
  "rsa-4096": 4096,
};

export function isVaultKeyType(value: string): value is VaultKeyType {
  return (VAULT_KEY_TYPES as readonly string[]).includes(value);
}

function isEcdsa(keyType: VaultKeyType): keyType is EcdsaKeyType {
  return keyType in CURVES;
}

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

function resolveOptions(
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

/**
 * Imports a public key exactly as Vault's `GET /v1/transit/keys/:name` returns it (base64 of
 * the raw key for ed25519, SubjectPublicKeyInfo PEM otherwise). Import once and reuse the
 * result: RSA keys are bound to the hash and scheme in `options`.
 */
export async function importVaultPublicKey(
  keyType: VaultKeyType,
  publicKey: string,
  options?: ImportOptions,
): Promise<VerificationKey> {
  if (!isVaultKeyType(keyType)) {
    throw new KeyFormatError(`unsupported key type ${JSON.stringify(keyType)}`);
  }
  const resolved = resolveOptions(VAULT_DEFAULT_OPTIONS, options);
  const keyVersion = options?.keyVersion;
  if (keyVersion !== undefined && !(Number.isSafeInteger(keyVersion) && keyVersion >= 1)) {
    throw new SignatureOptionsError(`key version ${keyVersion} is not a positive integer`);
  }
  if (keyType === "ed25519") {
    const raw = decodeKey(() => decodeBase64(publicKey.trim()), keyType);
    if (raw.length !== 32) {
      throw new KeyFormatError(`ed25519 public key must be 32 bytes, got ${raw.length}`);
    }
    const cryptoKey = await importKey(keyType, "raw", raw, { name: "Ed25519" });
    return { keyType, cryptoKey, keyVersion, options: resolved, modulusBits: undefined };
  }
  const spki = decodeKey(() => pemToDer(publicKey), keyType);
  if (isEcdsa(keyType)) {
    const { namedCurve } = CURVES[keyType];
    const cryptoKey = await importKey(keyType, "spki", spki, { name: "ECDSA", namedCurve });
    return { keyType, cryptoKey, keyVersion, options: resolved, modulusBits: undefined };
  }
  const name = resolved.signatureAlgorithm === "pss" ? "RSA-PSS" : "RSASSA-PKCS1-v1_5";
  const hash = HASHES[resolved.hashAlgorithm].name;
  const cryptoKey = await importKey(keyType, "spki", spki, { name, hash });
  const modulusBits = readModulusBits(cryptoKey);
  if (modulusBits !== RSA_MODULUS_BITS[keyType]) {
    throw new KeyFormatError(`${keyType} public key has a ${modulusBits}-bit modulus`);
  }
  return { keyType, cryptoKey, keyVersion, options: resolved, modulusBits };
}

function decodeKey(
  decode: () => Uint8Array<ArrayBuffer>,
  keyType: VaultKeyType,
): Uint8Array<ArrayBuffer> {
  try {
    return decode();
  } catch (error) {
    if (error instanceof EncodingError) {
      throw new KeyFormatError(`${keyType} public key: ${error.message}`);
    }
    throw error;
  }
}

async function importKey(
  keyType: VaultKeyType,
  format: "raw" | "spki",
  data: Uint8Array<ArrayBuffer>,
  algorithm: SubtleCryptoImportKeyAlgorithm,
): Promise<CryptoKey> {
  try {
    return await crypto.subtle.importKey(format, data, algorithm, true, ["verify"]);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new KeyFormatError(`${keyType} public key was rejected by WebCrypto: ${reason}`);
  }
}

function readModulusBits(cryptoKey: CryptoKey): number | undefined {
  const algorithm: unknown = cryptoKey.algorithm;
  if (typeof algorithm === "object" && algorithm !== null && "modulusLength" in algorithm) {
    const bits = algorithm.modulusLength;
    return typeof bits === "number" ? bits : undefined;
  }
  return undefined;
}

/**
 * Verifies a `vault:vN:` signature over `input`. `options` override, field by field, the
 * options the key was imported with. Returns false for a well-formed signature that does not
 * verify; throws SignatureFormatError for a malformed one (see the error model above).
 */
export async function verifyVaultSignature(
  key: VerificationKey,
  input: Uint8Array,
  signature: string,
  options?: SignatureOptions,
): Promise<boolean> {
  const resolved = resolveOptions(key.options, options);
  const { keyVersion, bytes } = parseVaultSignature(signature, resolved.marshalingAlgorithm);
  const data = asArrayBufferView(input);
  const versionMatches = key.keyVersion === undefined || key.keyVersion === keyVersion;

  if (key.keyType === "ed25519") {
    if (bytes.length !== 64) {
      throw new SignatureFormatError(`ed25519 signature must be 64 bytes, got ${bytes.length}`);
    }
    if (!versionMatches) {
      return false;
    }
    return crypto.subtle.verify({ name: "Ed25519" }, key.cryptoKey, bytes, data);
  }

  if (isEcdsa(key.keyType)) {
    const { fieldBytes } = CURVES[key.keyType];
    const raw =
      resolved.marshalingAlgorithm === "jws"
        ? checkRawEcdsa(bytes, fieldBytes)
        : derToRawEcdsa(bytes, fieldBytes);
    if (!versionMatches) {
      return false;
    }
    const algorithm = { name: "ECDSA", hash: HASHES[resolved.hashAlgorithm].name };
    return crypto.subtle.verify(algorithm, key.cryptoKey, raw, data);
  }

  return verifyRsa(key, resolved, bytes, data, versionMatches);
}

async function verifyRsa(
  key: VerificationKey,
  resolved: ResolvedSignatureOptions,
  signature: Uint8Array<ArrayBuffer>,
  data: Uint8Array<ArrayBuffer>,
  versionMatches: boolean,
): Promise<boolean> {
  const bound = key.options;
  if (
    resolved.hashAlgorithm !== bound.hashAlgorithm ||
    resolved.signatureAlgorithm !== bound.signatureAlgorithm
  ) {
    throw new SignatureOptionsError(
      `${key.keyType} key was imported for ${bound.signatureAlgorithm}/${bound.hashAlgorithm}; ` +
        `import it again to verify ${resolved.signatureAlgorithm}/${resolved.hashAlgorithm}`,
    );
  }
  const modulusBits = key.modulusBits;
  if (modulusBits === undefined) {
    throw new KeyFormatError(`${key.keyType} key has no modulus size`);
  }
  const modulusBytes = Math.ceil(modulusBits / 8);
  // Go rejects any other length; some WebCrypto backends would left-pad a short one.
  if (signature.length !== modulusBytes) {
    throw new SignatureFormatError(
      `${key.keyType} signature must be ${modulusBytes} bytes, got ${signature.length}`,
    );
  }
  if (!versionMatches) {
    return false;
  }
  if (resolved.signatureAlgorithm === "pkcs1v15") {
    return crypto.subtle.verify({ name: "RSASSA-PKCS1-v1_5" }, key.cryptoKey, signature, data);
  }
  for (const saltLength of pssSaltLengths(modulusBits, resolved)) {
    const algorithm = { name: "RSA-PSS", saltLength };
    if (await crypto.subtle.verify(algorithm, key.cryptoKey, signature, data)) {
      return true;
    }
  }
  return false;
}

// Vault signs "auto" with Go's maximum salt length. Go's verifier recovers any salt length,
// but WebCrypto needs it stated, so "auto" also tries the hash length: the other length
// signers commonly use, and the largest that FIPS 186-5 allows.
function pssSaltLengths(modulusBits: number, resolved: ResolvedSignatureOptions): number[] {
  const hashBytes = HASHES[resolved.hashAlgorithm].bytes;
  const maximum = Math.ceil((modulusBits - 1) / 8) - hashBytes - 2;
  const salt = resolved.saltLength;
  if (salt === "auto") {
    return maximum === hashBytes ? [maximum] : [maximum, hashBytes];
  }
  if (salt === "hash") {
    return [hashBytes];
  }
  if (salt > maximum) {
    throw new SignatureOptionsError(
      `salt length ${salt} exceeds the maximum of ${maximum} for this key and hash`,
    );
  }
  return [salt];
}

function checkRawEcdsa(
  bytes: Uint8Array<ArrayBuffer>,
  fieldBytes: number,
): Uint8Array<ArrayBuffer> {
  if (bytes.length !== fieldBytes * 2) {
    throw new SignatureFormatError(
      `jws ECDSA signature must be ${fieldBytes * 2} bytes, got ${bytes.length}`,
    );
  }
  return bytes;
}

// Strict DER (as Go's encoding/asn1 enforces): definite minimal lengths, minimal non-negative
// INTEGERs no longer than the field, and nothing after the SEQUENCE.
function derToRawEcdsa(der: Uint8Array, fieldBytes: number): Uint8Array<ArrayBuffer> {
  if (byteAt(der, 0) !== 0x30) {
    throw new SignatureFormatError("ECDSA signature is not a DER SEQUENCE");
  }
  const sequence = readLength(der, 1);
  if (sequence.next + sequence.length !== der.length) {
    throw new SignatureFormatError("ECDSA signature SEQUENCE length does not match its size");
  }
  const raw = new Uint8Array(fieldBytes * 2);
  const afterR = readInteger(der, sequence.next, raw, 0, fieldBytes);
  const afterS = readInteger(der, afterR, raw, fieldBytes, fieldBytes);
  if (afterS !== der.length) {
    throw new SignatureFormatError("ECDSA signature has data after the two INTEGERs");
  }
  return raw;
}

function byteAt(der: Uint8Array, offset: number): number {
  const value = der[offset];
  if (value === undefined) {
    throw new SignatureFormatError("ECDSA signature DER is truncated");
  }
  return value;
}

function readLength(der: Uint8Array, offset: number): { length: number; next: number } {
  const first = byteAt(der, offset);
  if (first < 0x80) {
    return { length: first, next: offset + 1 };
  }
  const count = first & 0x7f;
  if (count === 0 || count > 2) {
    throw new SignatureFormatError("ECDSA signature uses an unsupported DER length form");
  }
  let length = 0;
  for (let i = 1; i <= count; i++) {
    length = length * 256 + byteAt(der, offset + i);
  }
  if (length < 0x80 || (count === 2 && length < 0x100)) {
    throw new SignatureFormatError("ECDSA signature uses a non-minimal DER length");
  }
  return { length, next: offset + 1 + count };
}

function readInteger(
  der: Uint8Array,
  offset: number,
  out: Uint8Array,
  outOffset: number,
  size: number,
): number {
  if (byteAt(der, offset) !== 0x02) {
    throw new SignatureFormatError("ECDSA signature component is not a DER INTEGER");
  }
  const { length, next: start } = readLength(der, offset + 1);
  const end = start + length;
  if (length === 0 || end > der.length) {
    throw new SignatureFormatError("ECDSA signature INTEGER is empty or truncated");
  }
  const first = byteAt(der, start);
  if (first & 0x80) {
    throw new SignatureFormatError("ECDSA signature INTEGER is negative");
  }
  let valueStart = start;
  if (first === 0 && length > 1) {
    if ((byteAt(der, start + 1) & 0x80) === 0) {
      throw new SignatureFormatError("ECDSA signature INTEGER is not minimally encoded");
    }
    valueStart++;
  }
  const valueLength = end - valueStart;
  if (valueLength > size) {
    throw new SignatureFormatError("ECDSA signature INTEGER is longer than the curve field");
  }
  out.set(der.subarray(valueStart, end), outOffset + size - valueLength);
  return end;
}

function asArrayBufferView(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  // WebCrypto refuses views over SharedArrayBuffer; copy only in that rare case.
  return bytes.buffer instanceof ArrayBuffer
    ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    : bytes.slice();
}
