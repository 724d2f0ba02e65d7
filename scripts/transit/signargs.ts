import { decodeStdBase64 } from "./base64.ts";
import { hashWith, isHashName } from "./hash.ts";
import {
  badRequest,
  fieldBool,
  fieldString,
  internalError,
  type Json,
  type JsonObject,
} from "./http.ts";
import { isSigningType, type TransitKey } from "./keys.ts";
import { SALT_AUTO, SALT_EQUALS_HASH } from "./rsa.ts";
import { hashesInput, type SigningOptions } from "./sign.ts";

/** Request parsing shared by Vault's transit sign and verify endpoints (path_sign_verify.go). */

const COMMON_FIELDS = [
  "name",
  "input",
  "context",
  "signature_context",
  "hash_algorithm",
  "algorithm",
  "urlalgorithm",
  "prehashed",
  "signature_algorithm",
  "marshaling_algorithm",
  "salt_length",
  "batch_input",
];
export const SIGN_FIELDS = [...COMMON_FIELDS, "key_version"];
export const VERIFY_FIELDS = [...COMMON_FIELDS, "signature", "hmac", "cmac", "mac_length"];

export type Item = { [key: string]: Json | undefined };

export interface ApiArgs {
  opts: SigningOptions;
  prehashed: boolean;
}

function parseSaltLength(raw: string): number {
  const lower = raw.toLowerCase();
  if (lower === "auto") {
    return SALT_AUTO;
  }
  if (lower === "hash") {
    return SALT_EQUALS_HASH;
  }
  const n = Number(lower);
  if (!/^[+-]?\d+$/.test(lower) || !Number.isSafeInteger(n)) {
    throw badRequest(`salt length neither 'auto', 'hash', nor an int: ${raw}`);
  }
  if (n < SALT_EQUALS_HASH) {
    throw badRequest(`salt length is invalid: ${n}`);
  }
  return n;
}

/** The deprecated "algorithm" only counts when hash_algorithm is explicitly empty. */
function hashAlgorithm(body: JsonObject, urlAlgorithm: string): string {
  if (urlAlgorithm !== "") {
    return urlAlgorithm;
  }
  const hash = fieldString(body, "hash_algorithm", "sha2-256");
  const deprecated = hash === "" ? fieldString(body, "algorithm", "sha2-256") : hash;
  return deprecated === "" ? "sha2-256" : deprecated;
}

export function apiArgs(body: JsonObject, urlAlgorithm: string): ApiArgs {
  const hash = hashAlgorithm(body, urlAlgorithm);
  if (!isHashName(hash)) {
    throw badRequest(`invalid hash algorithm "${hash}"`);
  }
  const marshaling = fieldString(body, "marshaling_algorithm", "asn1");
  if (marshaling !== "asn1" && marshaling !== "jws") {
    throw badRequest(`invalid marshaling type "${marshaling}"`);
  }
  const prehashed = fieldBool(body, "prehashed", false);
  const sigAlgorithm = fieldString(body, "signature_algorithm", "");
  const saltLength = parseSaltLength(fieldString(body, "salt_length", "auto"));
  return { opts: { hash, marshaling, saltLength, sigAlgorithm }, prehashed };
}

export function checkKey(key: TransitKey, args: ApiArgs): void {
  if (!isSigningType(key.type)) {
    throw badRequest(`key type ${key.type} does not support signing`);
  }
  if (args.opts.hash === "none" && (!args.prehashed || args.opts.sigAlgorithm !== "pkcs1v15")) {
    throw badRequest(
      "hash_algorithm=none requires both prehashed=true and signature_algorithm=pkcs1v15",
    );
  }
}

/** Vault Community Edition only implements pure Ed25519 (Ed25519ph/ctx are Enterprise). */
export function ed25519Restriction(key: TransitKey, args: ApiArgs, item: Item): string | undefined {
  if (key.type !== "ed25519") {
    return undefined;
  }
  const only = "only Pure Ed25519 signatures supported";
  if (args.prehashed) {
    return `${only}, prehashed must be false`;
  }
  if (args.opts.hash === "sha2-512") {
    return `${only}, hash_alogithm should not be set`;
  }
  const sigContext = item.signature_context;
  return typeof sigContext === "string" && sigContext !== ""
    ? `${only}, signature_context must be empty`
    : undefined;
}

export function prepare(key: TransitKey, args: ApiArgs, input: Buffer): Buffer {
  const type = key.type;
  return isSigningType(type) && hashesInput(type) && !args.prehashed
    ? hashWith(args.opts.hash, input)
    : input;
}

export function asString(v: Json | undefined): string {
  return v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v);
}

export function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A non-batch request is processed as a batch of one, as Vault does. */
export function singleItem(body: JsonObject, optional: string[]): Item {
  const item: Item = {
    input: fieldString(body, "input", ""),
    context: fieldString(body, "context", ""),
  };
  for (const name of optional) {
    if (body[name] !== undefined && body[name] !== null) {
      item[name] = fieldString(body, name, "");
    }
  }
  return item;
}

/** Sign items decode into map[string]string (strict); verify items into map[string]any. */
export function batchItems(raw: Json, strict: boolean): Item[] {
  const fail = (why: string): never => {
    const text = `failed to parse batch input: ${why}`;
    throw strict ? internalError(text) : badRequest(text);
  };
  if (!Array.isArray(raw)) {
    return fail(`source data must be an array or slice, got ${typeof raw}`);
  }
  return raw.map((entry, i) => {
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
      return fail(
        `'[${i}]' expected a map, got '${Array.isArray(entry) ? "slice" : typeof entry}'`,
      );
    }
    for (const [k, v] of Object.entries(entry)) {
      if (strict && typeof v !== "string") {
        fail(`'[${i}][${k}]' expected type 'string', got '${typeof v}'`);
      }
    }
    return entry;
  });
}

export function checkContext(item: Item): string | undefined {
  try {
    decodeStdBase64(asString(item.context));
    return undefined;
  } catch (e) {
    return message(e);
  }
}
