import { createHash } from "node:crypto";

export interface HashSpec {
  /** node:crypto digest name; null for "none" (input is used as given). */
  node: string | null;
  size: number;
  /** DER body of the digest algorithm OID, used in PKCS#1 v1.5 DigestInfo. */
  oid: string | null;
}

const NIST_HASH_ARC = "6086480165030402";

/** The names Vault's transit engine accepts for hash_algorithm. */
export const HASHES = {
  sha1: { node: "sha1", size: 20, oid: "2b0e03021a" },
  "sha2-224": { node: "sha224", size: 28, oid: `${NIST_HASH_ARC}04` },
  "sha2-256": { node: "sha256", size: 32, oid: `${NIST_HASH_ARC}01` },
  "sha2-384": { node: "sha384", size: 48, oid: `${NIST_HASH_ARC}02` },
  "sha2-512": { node: "sha512", size: 64, oid: `${NIST_HASH_ARC}03` },
  "sha3-224": { node: "sha3-224", size: 28, oid: `${NIST_HASH_ARC}07` },
  "sha3-256": { node: "sha3-256", size: 32, oid: `${NIST_HASH_ARC}08` },
  "sha3-384": { node: "sha3-384", size: 48, oid: `${NIST_HASH_ARC}09` },
  "sha3-512": { node: "sha3-512", size: 64, oid: `${NIST_HASH_ARC}0a` },
  none: { node: null, size: 0, oid: null },
} as const satisfies Record<string, HashSpec>;

export type HashName = keyof typeof HASHES;

export function isHashName(s: string): s is HashName {
  return Object.hasOwn(HASHES, s);
}

export function hashWith(name: HashName, data: Buffer): Buffer {
  const spec: HashSpec = HASHES[name];
  return spec.node === null ? data : createHash(spec.node).update(data).digest();
}
