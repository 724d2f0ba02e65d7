import {
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  type KeyObject,
  type KeyPairKeyObjectResult,
  randomBytes,
} from "node:crypto";
import { VAULT_KEY_TYPES, type VaultKeyType } from "../../src/crypto/verify.ts";
import type { Json, JsonObject } from "./http.ts";

/** The signing types are the ones the service verifies, so the two lists cannot drift apart. */
export const SIGNING_TYPES = VAULT_KEY_TYPES;
/** Created and listed like Vault does, but only signing types have cryptography behind them. */
export const SYMMETRIC_TYPES = ["aes128-gcm96", "aes256-gcm96", "chacha20-poly1305"] as const;
/** Real Vault types this server deliberately does not implement. */
export const UNSUPPORTED_TYPES = [
  "hmac",
  "managed_key",
  "aes128-cmac",
  "aes192-cmac",
  "aes256-cmac",
  "ml-dsa",
  "hybrid",
];

export type SigningType = VaultKeyType;
export type SymmetricType = (typeof SYMMETRIC_TYPES)[number];
export type KeyType = SigningType | SymmetricType;

export function isKeyType(s: string): s is KeyType {
  return (SIGNING_TYPES as readonly string[]).includes(s) || isSymmetricType(s);
}

export function isSigningType(s: string): s is SigningType {
  return (SIGNING_TYPES as readonly string[]).includes(s);
}

function isSymmetricType(s: string): s is SymmetricType {
  return (SYMMETRIC_TYPES as readonly string[]).includes(s);
}

export interface KeyVersion {
  /** RFC 3339 with sub-second digits, as Go's time.Time marshals. */
  creationTime: string;
  privateKey: KeyObject | null;
  secret: Buffer | null;
}

export interface TransitKey {
  name: string;
  type: KeyType;
  /** Every version ever created; Vault keeps the ones below min_decryption_version archived. */
  versions: Map<number, KeyVersion>;
  latestVersion: number;
  minDecryptionVersion: number;
  minEncryptionVersion: number;
  deletionAllowed: boolean;
  exportable: boolean;
  allowPlaintextBackup: boolean;
  autoRotatePeriod: number;
}

export function rfc3339Nano(): string {
  const iso = new Date().toISOString();
  const subMillisecond = (process.hrtime.bigint() % 1_000_000n).toString().padStart(6, "0");
  const fraction = `${iso.slice(20, 23)}${subMillisecond}`.replace(/0+$/, "");
  return `${iso.slice(0, 19)}${fraction === "" ? "" : `.${fraction}`}Z`;
}

function keyPair(type: SigningType): Promise<KeyPairKeyObjectResult> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, publicKey: KeyObject, privateKey: KeyObject) => {
      if (err) {
        reject(err);
      } else {
        resolve({ publicKey, privateKey });
      }
    };
    if (type === "ed25519") {
      generateKeyPair("ed25519", {}, done);
    } else if (type.startsWith("ecdsa-")) {
      generateKeyPair("ec", { namedCurve: `P-${type.slice(7)}` }, done);
    } else {
      generateKeyPair("rsa", { modulusLength: Number(type.slice(4)), publicExponent: 65537 }, done);
    }
  });
}

export async function generateVersion(type: KeyType): Promise<KeyVersion> {
  if (isSigningType(type)) {
    const { privateKey } = await keyPair(type);
    return { creationTime: rfc3339Nano(), privateKey, secret: null };
  }
  return {
    creationTime: rfc3339Nano(),
    privateKey: null,
    secret: randomBytes(type === "aes128-gcm96" ? 16 : 32),
  };
}

export function newKey(name: string, type: KeyType, first: KeyVersion): TransitKey {
  return {
    name,
    type,
    versions: new Map([[1, first]]),
    latestVersion: 1,
    minDecryptionVersion: 1,
    minEncryptionVersion: 0,
    deletionAllowed: false,
    exportable: false,
    allowPlaintextBackup: false,
    autoRotatePeriod: 0,
  };
}

/** public_key as Vault formats it: raw base64 for Ed25519, PEM SPKI otherwise. */
export function formatPublicKey(type: SigningType, privateKey: KeyObject): string {
  if (type === "ed25519") {
    const jwk = privateKey.export({ format: "jwk" });
    return Buffer.from(jwk.x ?? "", "base64url").toString("base64");
  }
  const pem = createPublicKey(privateKey).export({ type: "spki", format: "pem" });
  return typeof pem === "string" ? pem : pem.toString("utf8");
}

function keyEntryName(type: SigningType): string {
  return type.startsWith("ecdsa-") ? `P-${type.slice(7)}` : type;
}

/** Vault's formatKeyPolicy data (Go marshals maps with sorted keys, mirrored here). */
export function formatKey(key: TransitKey): JsonObject {
  const keys: JsonObject = {};
  const visible = [...key.versions.keys()]
    .filter((v) => v >= key.minDecryptionVersion && v <= key.latestVersion)
    .map(String)
    .sort();
  for (const v of visible) {
    const entry = key.versions.get(Number(v));
    if (!entry) {
      continue;
    }
    const type = key.type;
    if (isSigningType(type) && entry.privateKey) {
      keys[v] = {
        certificate_chain: "",
        creation_time: entry.creationTime,
        hybrid_public_key: "",
        name: keyEntryName(type),
        public_key: formatPublicKey(type, entry.privateKey),
      };
    } else {
      keys[v] = Math.floor(Date.parse(entry.creationTime) / 1000);
    }
  }
  const signing = isSigningType(key.type);
  const encrypting = !signing || key.type.startsWith("rsa-");
  return {
    allow_plaintext_backup: key.allowPlaintextBackup,
    auto_rotate_period: key.autoRotatePeriod,
    deletion_allowed: key.deletionAllowed,
    derived: false,
    exportable: key.exportable,
    imported_key: false,
    keys,
    latest_version: key.latestVersion,
    min_available_version: 0,
    min_decryption_version: key.minDecryptionVersion,
    min_encryption_version: key.minEncryptionVersion,
    name: key.name,
    supports_decryption: encrypting,
    supports_derivation: !signing || key.type === "ed25519",
    supports_encryption: encrypting,
    supports_signing: signing,
    type: key.type,
  };
}

export function serializeKey(key: TransitKey): JsonObject {
  const versions: JsonObject = {};
  for (const [v, entry] of key.versions) {
    const pem = entry.privateKey?.export({ type: "pkcs8", format: "pem" });
    versions[String(v)] = {
      creation_time: entry.creationTime,
      ...(pem === undefined ? {} : { private_key: pem.toString() }),
      ...(entry.secret ? { secret: entry.secret.toString("base64") } : {}),
    };
  }
  return {
    type: key.type,
    latest_version: key.latestVersion,
    min_decryption_version: key.minDecryptionVersion,
    min_encryption_version: key.minEncryptionVersion,
    deletion_allowed: key.deletionAllowed,
    exportable: key.exportable,
    allow_plaintext_backup: key.allowPlaintextBackup,
    auto_rotate_period: key.autoRotatePeriod,
    versions,
  };
}

function asObject(v: Json | undefined, what: string): JsonObject {
  if (v === null || v === undefined || typeof v !== "object" || Array.isArray(v)) {
    throw new Error(`state file: ${what} is not an object`);
  }
  return v;
}

function num(o: JsonObject, k: string): number {
  const v = o[k];
  return typeof v === "number" ? v : 0;
}

export function deserializeKey(name: string, raw: Json | undefined): TransitKey {
  const o = asObject(raw, `key ${name}`);
  const type = String(o.type);
  if (!isKeyType(type)) {
    throw new Error(`state file: key ${name} has unknown type ${type}`);
  }
  const versions = new Map<number, KeyVersion>();
  for (const [v, value] of Object.entries(asObject(o.versions, `versions of ${name}`))) {
    const entry = asObject(value, `version ${v} of ${name}`);
    versions.set(Number(v), {
      creationTime: String(entry.creation_time),
      privateKey:
        typeof entry.private_key === "string" ? createPrivateKey(entry.private_key) : null,
      secret: typeof entry.secret === "string" ? Buffer.from(entry.secret, "base64") : null,
    });
  }
  return {
    name,
    type,
    versions,
    latestVersion: num(o, "latest_version"),
    minDecryptionVersion: num(o, "min_decryption_version"),
    minEncryptionVersion: num(o, "min_encryption_version"),
    deletionAllowed: o.deletion_allowed === true,
    exportable: o.exportable === true,
    allowPlaintextBackup: o.allow_plaintext_backup === true,
    autoRotatePeriod: num(o, "auto_rotate_period"),
  };
}
