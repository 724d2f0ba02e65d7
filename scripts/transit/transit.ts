import {
  badRequest,
  fieldBool,
  fieldDurationSeconds,
  fieldInt,
  fieldString,
  ignoredParams,
  type JsonObject,
  type Reply,
  unsupportedOperation,
  unsupportedPath,
  VaultError,
  vaultReply,
} from "./http.ts";
import {
  formatKey,
  generateVersion,
  isKeyType,
  newKey,
  type TransitKey,
  UNSUPPORTED_TYPES,
} from "./keys.ts";
import { handleSign, handleVerify } from "./signapi.ts";
import type { Mount, Store } from "./store.ts";

/** Routes of Vault's transit engine below one mount (keys, rotate, config, sign, verify). */
export interface TransitRequest {
  /** GET, POST, PUT, DELETE or LIST (GET ?list=true is already folded into LIST). */
  operation: string;
  mount: Mount;
  rest: string;
  body: JsonObject;
  store: Store;
}

/** framework.GenericNameRegex */
const NAME = String.raw`\w(?:[\w\-.@]*\w)?`;
const KEY_PATH = new RegExp(`^keys/(${NAME})(?:/(rotate|config))?$`);
const SIGN_PATH = new RegExp(`^(sign|verify)/(${NAME})(?:/(.+))?$`);

const CREATE_FIELDS = [
  "name",
  "type",
  "derived",
  "convergent_encryption",
  "exportable",
  "allow_plaintext_backup",
  "context",
  "auto_rotate_period",
  "key_size",
  "managed_key_name",
  "managed_key_id",
  "parameter_set",
  "hybrid_key_type_pqc",
  "hybrid_key_type_ec",
];
const CONFIG_FIELDS = [
  "name",
  "min_decryption_version",
  "min_encryption_version",
  "deletion_allowed",
  "exportable",
  "allow_plaintext_backup",
  "auto_rotate_period",
];
const ROTATE_FIELDS = ["name", "managed_key_name", "managed_key_id"];

const isWrite = (op: string) => op === "POST" || op === "PUT";

function keyReply(key: TransitKey, body: JsonObject, known: string[], warnings: string[] = []) {
  return vaultReply(formatKey(key), "transit", [...warnings, ...ignoredParams(body, known)]);
}

function checkAutoRotate(seconds: number): void {
  if (seconds !== 0 && seconds < 3600) {
    throw badRequest("auto rotate period must be 0 to disable or at least an hour");
  }
}

async function createKey(req: TransitRequest, name: string): Promise<Reply> {
  const { body, mount } = req;
  const type = fieldString(body, "type", "aes256-gcm96");
  const derived = fieldBool(body, "derived", false);
  const autoRotatePeriod = fieldDurationSeconds(body, "auto_rotate_period", 0);
  checkAutoRotate(autoRotatePeriod);
  if (!derived && fieldBool(body, "convergent_encryption", false)) {
    throw badRequest("convergent encryption requires derivation to be enabled");
  }
  if (UNSUPPORTED_TYPES.includes(type)) {
    throw badRequest(`key type ${type} is not implemented by this development server`);
  }
  if (!isKeyType(type)) {
    throw badRequest(`unknown key type ${type}`);
  }
  if (fieldInt(body, "key_size", 0) !== 0) {
    throw badRequest(`key_size is not valid for algorithm ${type}`);
  }
  if (derived) {
    throw badRequest("derived keys are not implemented by this development server");
  }
  const existing = mount.keys.get(name);
  if (existing) {
    return keyReply(existing, body, CREATE_FIELDS, [`key ${name} already existed`]);
  }
  const first = await generateVersion(type);
  // Another request may have created the key while this one was generating.
  const raced = mount.keys.get(name);
  if (raced) {
    return keyReply(raced, body, CREATE_FIELDS, [`key ${name} already existed`]);
  }
  const key = newKey(name, type, first);
  key.exportable = fieldBool(body, "exportable", false);
  key.allowPlaintextBackup = fieldBool(body, "allow_plaintext_backup", false);
  key.autoRotatePeriod = autoRotatePeriod;
  mount.keys.set(name, key);
  req.store.persist();
  return keyReply(key, body, CREATE_FIELDS);
}

function deleteKey(req: TransitRequest, name: string): Reply {
  const key = req.mount.keys.get(name);
  const problem = !key
    ? "could not delete policy; not found"
    : key.deletionAllowed
      ? undefined
      : "deletion is not allowed for this policy";
  if (problem) {
    throw badRequest(`error deleting policy ${name}: ${problem}`);
  }
  req.mount.keys.delete(name);
  req.store.persist();
  return { status: 204 };
}

async function rotateKey(req: TransitRequest, name: string): Promise<Reply> {
  const key = req.mount.keys.get(name);
  if (!key) {
    throw badRequest("key not found");
  }
  const entry = await generateVersion(key.type);
  key.latestVersion += 1;
  key.versions.set(key.latestVersion, entry);
  req.store.persist();
  return keyReply(key, req.body, ROTATE_FIELDS);
}

/** Vault's pathKeysConfigWrite, validated on a copy so a rejected request changes nothing. */
function configureKey(req: TransitRequest, name: string): Reply {
  const { body } = req;
  const key = req.mount.keys.get(name);
  if (!key) {
    throw badRequest(`no existing key named ${name} could be found`);
  }
  const next = { ...key };
  const warnings: string[] = [];
  if (body.min_decryption_version !== undefined && body.min_decryption_version !== null) {
    let min = fieldInt(body, "min_decryption_version", 0);
    if (min < 0) {
      throw badRequest("min decryption version cannot be negative");
    }
    if (min === 0) {
      min = 1;
      warnings.push("since Vault 0.3, transit key numbering starts at 1; forcing minimum to 1");
    }
    if (min !== next.minDecryptionVersion && min > next.latestVersion) {
      throw badRequest(
        `cannot set min decryption version of ${min}, latest key version is ${next.latestVersion}`,
      );
    }
    next.minDecryptionVersion = min;
  }
  if (body.min_encryption_version !== undefined && body.min_encryption_version !== null) {
    const min = fieldInt(body, "min_encryption_version", 0);
    if (min < 0) {
      throw badRequest("min encryption version cannot be negative");
    }
    if (min !== next.minEncryptionVersion && min > next.latestVersion) {
      throw badRequest(
        `cannot set min encryption version of ${min}, latest key version is ${next.latestVersion}`,
      );
    }
    next.minEncryptionVersion = min;
  }
  if (next.minEncryptionVersion > 0 && next.minEncryptionVersion < next.minDecryptionVersion) {
    throw badRequest(
      "cannot set min encryption/decryption values; " +
        `min encryption version of ${next.minEncryptionVersion} must be greater than or equal ` +
        `to min decryption version of ${next.minDecryptionVersion}`,
    );
  }
  next.deletionAllowed = fieldBool(body, "deletion_allowed", next.deletionAllowed);
  // exportable and allow_plaintext_backup can be switched on but never off again.
  next.exportable = next.exportable || fieldBool(body, "exportable", false);
  next.allowPlaintextBackup =
    next.allowPlaintextBackup || fieldBool(body, "allow_plaintext_backup", false);
  next.autoRotatePeriod = fieldDurationSeconds(body, "auto_rotate_period", next.autoRotatePeriod);
  checkAutoRotate(next.autoRotatePeriod);
  Object.assign(key, next);
  req.store.persist();
  return keyReply(key, body, CONFIG_FIELDS, warnings);
}

function listKeys(mount: Mount): Reply {
  const keys = [...mount.keys.keys()].sort();
  if (keys.length === 0) {
    throw new VaultError(404, []);
  }
  return vaultReply({ keys }, "transit");
}

export async function routeTransit(req: TransitRequest): Promise<Reply> {
  const { operation: op, rest } = req;
  if (rest === "keys" || rest === "keys/") {
    if (op !== "LIST") {
      throw unsupportedOperation();
    }
    return listKeys(req.mount);
  }
  const keyMatch = KEY_PATH.exec(rest);
  if (keyMatch) {
    const name = keyMatch[1] ?? "";
    const action = keyMatch[2];
    if (action === "rotate" && isWrite(op)) {
      return rotateKey(req, name);
    }
    if (action === "config" && isWrite(op)) {
      return configureKey(req, name);
    }
    if (action === undefined && op === "GET") {
      const key = req.mount.keys.get(name);
      if (!key) {
        throw new VaultError(404, []);
      }
      return vaultReply(formatKey(key), "transit");
    }
    if (action === undefined && isWrite(op)) {
      return createKey(req, name);
    }
    if (action === undefined && op === "DELETE") {
      return deleteKey(req, name);
    }
    throw unsupportedOperation();
  }
  const signMatch = SIGN_PATH.exec(rest);
  if (signMatch) {
    if (!isWrite(op)) {
      throw unsupportedOperation();
    }
    const key = req.mount.keys.get(signMatch[2] ?? "");
    const urlAlgorithm = signMatch[3] ?? "";
    return signMatch[1] === "sign"
      ? handleSign(key, urlAlgorithm, req.body)
      : handleVerify(key, urlAlgorithm, req.body);
  }
  throw unsupportedPath();
}
