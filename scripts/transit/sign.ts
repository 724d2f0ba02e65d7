import { createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { decodeRawUrlBase64, decodeStdBase64 } from "./base64.ts";
import {
  bytesToBigInt,
  CURVES,
  type Curve,
  DerError,
  decodeDer,
  decodeP1363,
  encodeDer,
  encodeP1363,
  signDigest,
  verifyDigest,
} from "./ecdsa.ts";
import { HASHES, type HashName } from "./hash.ts";
import type { SigningType, TransitKey } from "./keys.ts";
import { maxPssSaltLength, modulusBits, rsaSign, rsaVerify } from "./rsa.ts";

/**
 * Mirrors of Vault's errutil.UserError / errutil.InternalError: the HTTP layer turns the
 * first into 400 on verify, and both surface differently in batch and single requests.
 */
export class UserError extends Error {}
export class InternalError extends Error {}

export type Marshaling = "asn1" | "jws";

export interface SigningOptions {
  hash: HashName;
  marshaling: Marshaling;
  /** Go crypto/rsa convention: 0 = auto, -1 = hash length. */
  saltLength: number;
  /** Empty means Vault's default, "pss". */
  sigAlgorithm: string;
}

const TOO_OLD = "ciphertext or signature version is disallowed by policy (too old)";

/** Whether Vault hashes the input before signing (ed25519 signs the message itself). */
export function hashesInput(type: SigningType): boolean {
  return type !== "ed25519";
}

function privateKeyFor(key: TransitKey, ver: number): KeyObject {
  const entry = key.versions.get(ver);
  if (!entry?.privateKey) {
    throw new InternalError("no such key version");
  }
  return entry.privateKey;
}

function curveOf(type: SigningType): Curve | undefined {
  return type === "ecdsa-p256" || type === "ecdsa-p384" || type === "ecdsa-p521"
    ? CURVES[type]
    : undefined;
}

function privateScalar(privateKey: KeyObject): bigint {
  return bytesToBigInt(Buffer.from(privateKey.export({ format: "jwk" }).d ?? "", "base64url"));
}

function rsaAlgorithm(privateKey: KeyObject, opts: SigningOptions): "pss" | "pkcs1v15" {
  const algorithm = opts.sigAlgorithm === "" ? "pss" : opts.sigAlgorithm;
  if (algorithm !== "pss" && algorithm !== "pkcs1v15") {
    throw new InternalError(`unsupported rsa signature algorithm ${algorithm}`);
  }
  if (algorithm === "pss") {
    const max = maxPssSaltLength(modulusBits(privateKey), HASHES[opts.hash].size);
    if (opts.saltLength < -1 || opts.saltLength > max) {
      throw new UserError(`requested salt length ${opts.saltLength} is invalid`);
    }
  }
  return algorithm;
}

/**
 * Vault's Policy.SignWithOptions. `input` is already hashed for ECDSA and RSA keys (unless
 * the hash is "none"), exactly as Vault's sign path prepares it.
 */
export function policySign(key: TransitKey, version: number, input: Buffer, opts: SigningOptions) {
  let ver = version;
  if (ver === 0) {
    ver = key.latestVersion;
  } else if (ver < 0) {
    throw new UserError("requested version for signing is negative");
  } else if (ver > key.latestVersion) {
    throw new UserError("requested version for signing is higher than the latest key version");
  } else if (key.minEncryptionVersion > 0 && ver < key.minEncryptionVersion) {
    throw new UserError(
      "requested version for signing is less than the minimum encryption key version",
    );
  }
  const privateKey = privateKeyFor(key, ver);
  const type = key.type as SigningType;
  const curve = curveOf(type);
  let sig: Buffer;
  if (type === "ed25519") {
    sig = sign(null, input, privateKey);
  } else if (curve) {
    const { r, s } = signDigest(curve, privateScalar(privateKey), input);
    sig = opts.marshaling === "jws" ? encodeP1363(curve, r, s) : encodeDer(r, s);
  } else {
    const algorithm = rsaAlgorithm(privateKey, opts);
    sig = rsaSign(privateKey, opts.hash, input, algorithm, opts.saltLength);
  }
  const encoded = opts.marshaling === "jws" ? sig.toString("base64url") : sig.toString("base64");
  return { signature: `vault:v${ver}:${encoded}`, keyVersion: ver };
}

function parseSignature(key: TransitKey, signature: string): { ver: number; payload: string } {
  const prefix = "vault:v";
  if (!signature.startsWith(prefix)) {
    throw new UserError("invalid signature: no prefix");
  }
  const rest = signature.slice(prefix.length);
  const colon = rest.indexOf(":");
  if (colon < 0) {
    throw new UserError("invalid signature: wrong number of fields");
  }
  const verText = rest.slice(0, colon);
  if (!/^[+-]?\d{1,15}$/.test(verText)) {
    throw new UserError("invalid signature: version number could not be decoded");
  }
  const ver = Number(verText);
  if (ver > key.latestVersion) {
    throw new UserError("invalid signature: version is too new");
  }
  if (key.minDecryptionVersion > 0 && ver < key.minDecryptionVersion) {
    throw new UserError(TOO_OLD);
  }
  return { ver, payload: rest.slice(colon + 1) };
}

/** Vault's Policy.VerifySignatureWithOptions; `input` is prepared as for policySign. */
export function policyVerify(
  key: TransitKey,
  input: Buffer,
  signature: string,
  opts: SigningOptions,
): boolean {
  const { ver, payload } = parseSignature(key, signature);
  let sigBytes: Buffer;
  try {
    sigBytes = opts.marshaling === "jws" ? decodeRawUrlBase64(payload) : decodeStdBase64(payload);
  } catch {
    throw new UserError("invalid base64 signature value");
  }
  const privateKey = privateKeyFor(key, ver);
  const type = key.type as SigningType;
  const curve = curveOf(type);
  if (type === "ed25519") {
    try {
      return verify(null, input, createPublicKey(privateKey), sigBytes);
    } catch {
      return false;
    }
  }
  if (curve) {
    let parsed: { r: bigint; s: bigint };
    try {
      parsed = opts.marshaling === "jws" ? decodeP1363(sigBytes) : decodeDer(sigBytes);
    } catch (e) {
      throw e instanceof DerError ? new UserError(e.message) : e;
    }
    return verifyDigest(curve, privateScalar(privateKey), input, parsed.r, parsed.s);
  }
  const algorithm = rsaAlgorithm(privateKey, opts);
  const publicKey = createPublicKey(privateKey);
  return rsaVerify(publicKey, opts.hash, input, sigBytes, algorithm, opts.saltLength);
}
