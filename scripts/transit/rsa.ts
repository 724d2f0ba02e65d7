import {
  constants,
  createHash,
  type KeyObject,
  privateEncrypt,
  publicDecrypt,
  publicEncrypt,
  randomBytes,
} from "node:crypto";
import { HASHES, type HashName, type HashSpec } from "./hash.ts";

/**
 * RSA signatures over an already computed digest (node:crypto's sign() always hashes, which
 * cannot express Vault's `prehashed` inputs). The padding is built here and only the raw RSA
 * operation is left to OpenSSL. Salt lengths follow Go's crypto/rsa, as Vault passes them:
 * 0 = auto (maximum when signing, detected when verifying), -1 = hash length.
 */
export const SALT_AUTO = 0;
export const SALT_EQUALS_HASH = -1;

const TOO_LONG = "crypto/rsa: message too long for RSA key size";

export function maxPssSaltLength(modulusBits: number, hashSize: number): number {
  return Math.floor((modulusBits - 1 + 7) / 8) - 2 - hashSize;
}

export function modulusBits(key: KeyObject): number {
  return key.asymmetricKeyDetails?.modulusLength ?? 0;
}

function derTlv(tag: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag, body.length]), body]);
}

function digestInfo(hash: HashName, digest: Buffer): Buffer {
  const spec: HashSpec = HASHES[hash];
  if (spec.oid === null) {
    return digest;
  }
  if (digest.length !== spec.size) {
    throw new Error("crypto/rsa: input must be hashed message");
  }
  const algorithm = Buffer.concat([
    derTlv(0x06, Buffer.from(spec.oid, "hex")),
    Buffer.from([5, 0]),
  ]);
  return derTlv(0x30, Buffer.concat([derTlv(0x30, algorithm), derTlv(0x04, digest)]));
}

function nodeHash(hash: HashName): string {
  const spec: HashSpec = HASHES[hash];
  if (spec.node === null) {
    throw new Error("crypto/rsa: PSS requires a hash function");
  }
  return spec.node;
}

function mgf1(hash: string, seed: Buffer, length: number): Buffer {
  const blocks: Buffer[] = [];
  for (let counter = 0; blocks.length * seed.length < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    blocks.push(createHash(hash).update(seed).update(c).digest());
  }
  return Buffer.concat(blocks).subarray(0, length);
}

function pssHash(hash: string, digest: Buffer, salt: Buffer): Buffer {
  return createHash(hash).update(Buffer.alloc(8)).update(digest).update(salt).digest();
}

/** EMSA-PSS-ENCODE (RFC 8017 §9.1.1), left-padded to the modulus size. */
function pssEncode(hash: HashName, digest: Buffer, bits: number, saltLength: number): Buffer {
  const name = nodeHash(hash);
  const hLen: number = HASHES[hash].size;
  if (digest.length !== hLen) {
    throw new Error("crypto/rsa: input must be hashed with given hash");
  }
  const emBits = bits - 1;
  const emLen = Math.ceil(emBits / 8);
  const sLen =
    saltLength === SALT_AUTO
      ? maxPssSaltLength(bits, hLen)
      : saltLength === SALT_EQUALS_HASH
        ? hLen
        : saltLength;
  if (sLen < 0 || emLen < hLen + sLen + 2) {
    throw new Error(TOO_LONG);
  }
  const salt = randomBytes(sLen);
  const h = pssHash(name, digest, salt);
  const db = Buffer.concat([Buffer.alloc(emLen - sLen - hLen - 2), Buffer.from([1]), salt]);
  const mask = mgf1(name, h, db.length);
  for (let i = 0; i < db.length; i++) {
    db[i] = (db[i] ?? 0) ^ (mask[i] ?? 0);
  }
  db[0] = (db[0] ?? 0) & (0xff >> (8 * emLen - emBits));
  const em = Buffer.concat([db, h, Buffer.from([0xbc])]);
  return Buffer.concat([Buffer.alloc(Math.ceil(bits / 8) - emLen), em]);
}

/** EMSA-PSS-VERIFY (RFC 8017 §9.1.2) on the output of the public RSA operation. */
function pssVerify(hash: HashName, digest: Buffer, m: Buffer, bits: number, saltLength: number) {
  const name = nodeHash(hash);
  const hLen: number = HASHES[hash].size;
  const emBits = bits - 1;
  const emLen = Math.ceil(emBits / 8);
  const em = m.subarray(m.length - emLen);
  if (digest.length !== hLen || m.subarray(0, m.length - emLen).some((b: number) => b !== 0)) {
    return false;
  }
  const topMask = 0xff >> (8 * emLen - emBits);
  if (emLen < hLen + 2 || em[emLen - 1] !== 0xbc || ((em[0] ?? 0) & ~topMask) !== 0) {
    return false;
  }
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  const db = Buffer.from(em.subarray(0, emLen - hLen - 1));
  const mask = mgf1(name, h, db.length);
  for (let i = 0; i < db.length; i++) {
    db[i] = (db[i] ?? 0) ^ (mask[i] ?? 0);
  }
  db[0] = (db[0] ?? 0) & topMask;
  const separator =
    saltLength === SALT_AUTO
      ? db.indexOf(1)
      : db.length - (saltLength === SALT_EQUALS_HASH ? hLen : saltLength) - 1;
  if (
    separator < 0 ||
    db[separator] !== 1 ||
    db.subarray(0, separator).some((b: number) => b !== 0)
  ) {
    return false;
  }
  return pssHash(name, digest, db.subarray(separator + 1)).equals(h);
}

export function rsaSign(
  key: KeyObject,
  hash: HashName,
  digest: Buffer,
  algorithm: "pss" | "pkcs1v15",
  saltLength: number,
): Buffer {
  const bits = modulusBits(key);
  if (algorithm === "pss") {
    const em = pssEncode(hash, digest, bits, saltLength);
    return privateEncrypt({ key, padding: constants.RSA_NO_PADDING }, em);
  }
  const payload = digestInfo(hash, digest);
  if (payload.length > Math.ceil(bits / 8) - 11) {
    throw new Error(TOO_LONG);
  }
  return privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, payload);
}

export function rsaVerify(
  key: KeyObject,
  hash: HashName,
  digest: Buffer,
  signature: Buffer,
  algorithm: "pss" | "pkcs1v15",
  saltLength: number,
): boolean {
  const bits = modulusBits(key);
  if (signature.length !== Math.ceil(bits / 8)) {
    return false;
  }
  try {
    if (algorithm === "pss") {
      const m = publicEncrypt({ key, padding: constants.RSA_NO_PADDING }, signature);
      return pssVerify(hash, digest, m, bits, saltLength);
    }
    const recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature);
    return recovered.equals(digestInfo(hash, digest));
  } catch {
    // Out-of-range signatures, bad padding and wrongly sized digests all mean "not valid".
    return false;
  }
}
