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

import { checkRawEcdsa, derToRawEcdsa } from "./der.ts";
import { decodeBase64, EncodingError, pemToDer } from "./encoding.ts";
import {
  CURVES,
  HASHES,
  type ImportOptions,
  isEcdsa,
  isVaultKeyType,
  KeyFormatError,
  type ResolvedSignatureOptions,
  RSA_MODULUS_BITS,
  resolveOptions,
  type SignatureOptions,
  SignatureOptionsError,
  VAULT_DEFAULT_OPTIONS,
  type VaultKeyType,
} from "./options.ts";
import { parseVaultSignature, SignatureFormatError } from "./vault-signature.ts";

// Key types, options and errors live in options.ts and the signature string format in
// vault-signature.ts; they are re-exported so that this module stays the single entry point.
export type {
  HashAlgorithm,
  ImportOptions,
  RawSignatureOptions,
  ResolvedSignatureOptions,
  RsaSignatureAlgorithm,
  SaltLength,
  SignatureOptions,
  VaultKeyType,
} from "./options.ts";
export {
  HASH_ALGORITHMS,
  isVaultKeyType,
  KeyFormatError,
  parseSignatureOptions,
  SignatureOptionsError,
  VAULT_DEFAULT_OPTIONS,
  VAULT_KEY_TYPES,
} from "./options.ts";
export type { MarshalingAlgorithm } from "./vault-signature.ts";
export { SignatureFormatError } from "./vault-signature.ts";

export interface VerificationKey {
  readonly keyType: VaultKeyType;
  readonly cryptoKey: CryptoKey;
  readonly keyVersion: number | undefined;
  /** Options the key was imported with; RSA keys are bound to their hash and scheme. */
  readonly options: ResolvedSignatureOptions;
  /** RSA modulus size as reported by the imported key; undefined for other key types. */
  readonly modulusBits: number | undefined;
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

function asArrayBufferView(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  // WebCrypto refuses views over SharedArrayBuffer; copy only in that rare case.
  return bytes.buffer instanceof ArrayBuffer
    ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    : bytes.slice();
}
