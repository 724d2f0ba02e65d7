import { createECDH, randomBytes } from "node:crypto";

/**
 * ECDSA over an already computed digest. node:crypto always hashes the message itself, which
 * cannot express Vault's `prehashed` inputs, so the signature equation is done here with
 * BigInt arithmetic and scalar multiplication of the generator is delegated to ECDH.
 */
export interface Curve {
  ecdhName: string;
  /** Group order. */
  n: bigint;
  orderBits: number;
  /** Field element size in bytes; also the per-component size of JWS signatures. */
  byteLen: number;
}

function curve(ecdhName: string, nHex: string, orderBits: number, byteLen: number): Curve {
  return { ecdhName, n: BigInt(`0x${nHex}`), orderBits, byteLen };
}

export const CURVES = {
  "ecdsa-p256": curve(
    "prime256v1",
    "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551",
    256,
    32,
  ),
  "ecdsa-p384": curve(
    "secp384r1",
    `${"FFFFFFFF".repeat(6)}C7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973`,
    384,
    48,
  ),
  "ecdsa-p521": curve(
    "secp521r1",
    `01FF${"FFFFFFFF".repeat(7)}FFFFFFFA` +
      "51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409",
    521,
    66,
  ),
} as const;

export function bytesToBigInt(buf: Buffer): bigint {
  return buf.length === 0 ? 0n : BigInt(`0x${buf.toString("hex")}`);
}

export function bigIntToBytes(x: bigint, len: number): Buffer {
  return Buffer.from(x.toString(16).padStart(len * 2, "0"), "hex");
}

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  let result = 1n;
  let b = mod(base, m);
  let e = exp;
  while (e > 0n) {
    if (e & 1n) {
      result = (result * b) % m;
    }
    b = (b * b) % m;
    e >>= 1n;
  }
  return result;
}

/** The order is prime, so Fermat's little theorem gives the inverse. */
function modInverse(a: bigint, n: bigint): bigint {
  return modPow(a, n - 2n, n);
}

/** SEC 1 / Go's hashToInt: keep the leftmost orderBits bits of the digest. */
function digestToInt(c: Curve, digest: Buffer): bigint {
  const orderBytes = Math.ceil(c.orderBits / 8);
  const kept = digest.length > orderBytes ? digest.subarray(0, orderBytes) : digest;
  const excess = kept.length * 8 - c.orderBits;
  const z = bytesToBigInt(kept);
  return excess > 0 ? z >> BigInt(excess) : z;
}

/** x coordinate of k·G, or undefined when k is not a valid scalar. */
function baseMultiplyX(c: Curve, k: bigint): bigint | undefined {
  if (k <= 0n || k >= c.n) {
    return undefined;
  }
  const ecdh = createECDH(c.ecdhName);
  ecdh.setPrivateKey(bigIntToBytes(k, c.byteLen));
  return bytesToBigInt(ecdh.getPublicKey().subarray(1, 1 + c.byteLen));
}

function randomScalar(c: Curve): bigint {
  // Eight extra bytes make the bias of the reduction negligible.
  return mod(bytesToBigInt(randomBytes(c.byteLen + 8)), c.n - 1n) + 1n;
}

export function signDigest(c: Curve, d: bigint, digest: Buffer): { r: bigint; s: bigint } {
  const z = digestToInt(c, digest);
  for (;;) {
    const k = randomScalar(c);
    const x = baseMultiplyX(c, k);
    if (x === undefined) {
      continue;
    }
    const r = mod(x, c.n);
    const s = mod(modInverse(k, c.n) * (z + r * d), c.n);
    if (r !== 0n && s !== 0n) {
      return { r, s };
    }
  }
}

/**
 * Verification normally needs u1·G + u2·Q; holding the private scalar d (Q = d·G) turns that
 * into the single multiplication ((u1 + u2·d) mod n)·G.
 */
export function verifyDigest(c: Curve, d: bigint, digest: Buffer, r: bigint, s: bigint): boolean {
  if (r <= 0n || r >= c.n || s <= 0n || s >= c.n) {
    return false;
  }
  const w = modInverse(s, c.n);
  const u1 = mod(digestToInt(c, digest) * w, c.n);
  const u2 = mod(r * w, c.n);
  const x = baseMultiplyX(c, mod(u1 + u2 * d, c.n));
  return x !== undefined && mod(x, c.n) === r;
}

function derInteger(x: bigint): Buffer {
  const hex = x.toString(16);
  let body = Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, "hex");
  if ((body[0] ?? 0) & 0x80) {
    body = Buffer.concat([Buffer.from([0]), body]);
  }
  return Buffer.concat([Buffer.from([0x02]), derLength(body.length), body]);
}

function derLength(len: number): Buffer {
  return len < 0x80 ? Buffer.from([len]) : Buffer.from([0x81, len]);
}

export function encodeDer(r: bigint, s: bigint): Buffer {
  const body = Buffer.concat([derInteger(r), derInteger(s)]);
  return Buffer.concat([Buffer.from([0x30]), derLength(body.length), body]);
}

/** Thrown for malformed DER; the message is what Vault reports for an unparsable signature. */
export class DerError extends Error {}

function readLength(buf: Buffer, at: number): { len: number; next: number } {
  const first = buf[at];
  if (first === undefined) {
    throw new DerError("supplied signature is invalid");
  }
  if (first < 0x80) {
    return { len: first, next: at + 1 };
  }
  const second = buf[at + 1];
  if (first !== 0x81 || second === undefined || second < 0x80) {
    throw new DerError("supplied signature is invalid");
  }
  return { len: second, next: at + 2 };
}

function readInteger(buf: Buffer, at: number, end: number): { value: bigint; next: number } {
  if (buf[at] !== 0x02) {
    throw new DerError("supplied signature is invalid");
  }
  const { len, next } = readLength(buf, at + 1);
  const body = buf.subarray(next, next + len);
  const first = body[0];
  const second = body[1] ?? 0;
  if (len === 0 || next + len > end || (len > 1 && first === 0 && !(second & 0x80))) {
    throw new DerError("supplied signature is invalid");
  }
  const magnitude = bytesToBigInt(body);
  const negative = ((first ?? 0) & 0x80) !== 0;
  return { value: negative ? magnitude - (1n << BigInt(8 * len)) : magnitude, next: next + len };
}

/** Parses SEQUENCE { r INTEGER, s INTEGER } with the checks Go's encoding/asn1 applies. */
export function decodeDer(buf: Buffer): { r: bigint; s: bigint } {
  if (buf[0] !== 0x30) {
    throw new DerError("supplied signature is invalid");
  }
  const { len, next } = readLength(buf, 1);
  const end = next + len;
  if (end > buf.length) {
    throw new DerError("supplied signature is invalid");
  }
  const r = readInteger(buf, next, end);
  const s = readInteger(buf, r.next, end);
  if (s.next !== end) {
    throw new DerError("supplied signature is invalid");
  }
  if (end !== buf.length) {
    throw new DerError("supplied signature contains extra data");
  }
  return { r: r.value, s: s.value };
}

export function encodeP1363(c: Curve, r: bigint, s: bigint): Buffer {
  return Buffer.concat([bigIntToBytes(r, c.byteLen), bigIntToBytes(s, c.byteLen)]);
}

/** Vault splits a JWS signature in half whatever its length. */
export function decodeP1363(buf: Buffer): { r: bigint; s: bigint } {
  const half = Math.floor(buf.length / 2);
  return { r: bytesToBigInt(buf.subarray(0, half)), s: bytesToBigInt(buf.subarray(half)) };
}
