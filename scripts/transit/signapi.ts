import { decodeStdBase64 } from "./base64.ts";
import {
  badRequest,
  fieldInt,
  ignoredParams,
  internalError,
  type JsonObject,
  type Reply,
  vaultReply,
} from "./http.ts";
import type { TransitKey } from "./keys.ts";
import { policySign, policyVerify, UserError } from "./sign.ts";
import {
  type ApiArgs,
  apiArgs,
  asString,
  batchItems,
  checkContext,
  checkKey,
  ed25519Restriction,
  type Item,
  message,
  prepare,
  SIGN_FIELDS,
  singleItem,
  VERIFY_FIELDS,
} from "./signargs.ts";

/** The sign and verify endpoints of Vault's transit engine (path_sign_verify.go). */

type SignResult =
  | { signature: string; key_version: number; reference: string }
  | { key_version: number; error: string; reference: string };

function signItem(
  key: TransitKey,
  args: ApiArgs,
  keyVersion: number,
  item: Item,
  isBatch: boolean,
): SignResult {
  const reference = asString(item.reference);
  const rejected = (text: string): SignResult => {
    if (!isBatch) {
      throw badRequest(text);
    }
    return { key_version: 0, error: text, reference };
  };
  if (!Object.hasOwn(item, "input")) {
    return rejected("missing input");
  }
  let input: Buffer;
  try {
    input = decodeStdBase64(asString(item.input));
  } catch (e) {
    return rejected(`unable to decode input: ${message(e)}`);
  }
  if (checkContext(item) !== undefined) {
    return rejected("failed to base64-decode context");
  }
  const restriction = ed25519Restriction(key, args, item);
  if (restriction) {
    return rejected(`failed to parse batch item: ${restriction}`);
  }
  try {
    const signed = policySign(key, keyVersion, prepare(key, args, input), args.opts);
    return { signature: signed.signature, key_version: signed.keyVersion, reference };
  } catch (e) {
    // Vault returns policy failures of a single request without an error response: a 500.
    if (!isBatch) {
      throw internalError(message(e));
    }
    return { key_version: 0, error: message(e), reference };
  }
}

export function handleSign(
  key: TransitKey | undefined,
  urlAlgorithm: string,
  body: JsonObject,
): Reply {
  const args = apiArgs(body, urlAlgorithm);
  const keyVersion = fieldInt(body, "key_version", 0);
  if (!key) {
    throw badRequest("signing key not found");
  }
  checkKey(key, args);
  const raw = body.batch_input;
  const isBatch = raw !== undefined && raw !== null;
  const items = isBatch ? batchItems(raw, true) : [singleItem(body, ["signature_context"])];
  if (items.length === 0) {
    throw badRequest("missing batch input to process");
  }
  const results = items.map((item) => signItem(key, args, keyVersion, item, isBatch));
  const warnings = ignoredParams(body, SIGN_FIELDS);
  const first = results[0];
  if (!isBatch && first && "signature" in first) {
    const data = { key_version: first.key_version, signature: first.signature };
    return vaultReply(data, "transit", warnings);
  }
  return vaultReply({ batch_results: results }, "transit", warnings);
}

function checkVerifyItems(items: Item[], isBatch: boolean): void {
  let sig = false;
  let hmac = false;
  let cmac = false;
  let missing = false;
  for (const item of items) {
    if (Object.hasOwn(item, "signature")) {
      sig = true;
    } else if (Object.hasOwn(item, "hmac")) {
      hmac = true;
    } else if (Object.hasOwn(item, "cmac")) {
      cmac = true;
    } else {
      missing = true;
    }
  }
  const kinds = [sig, hmac, cmac].filter(Boolean).length;
  const fail = (text: string): never => {
    throw badRequest(text);
  };
  if (!isBatch && kinds > 1) {
    fail("provide one of 'signature', 'hmac' or 'cmac'");
  }
  if (!isBatch && kinds === 0) {
    fail("missing one of 'signature', 'hmac' or 'cmac' arguments to verify");
  }
  if (kinds > 1) {
    fail("elements of batch_input must all provide either 'signature', 'hmac' or 'cmac'");
  }
  if (missing && kinds === 1) {
    fail(
      `some elements of batch_input are missing '${sig ? "signature" : hmac ? "hmac" : "cmac"}'`,
    );
  }
  if (kinds === 0) {
    fail("no batch_input elements have 'signature', 'hmac' or 'cmac'");
  }
  if (!sig) {
    fail("HMAC and CMAC verification are not implemented by this development server");
  }
}

type VerifyResult = { valid: boolean; error?: string; reference: string };

function verifyItem(key: TransitKey, args: ApiArgs, item: Item, isBatch: boolean): VerifyResult {
  const reference = asString(item.reference);
  const rejected = (text: string): VerifyResult => {
    if (!isBatch) {
      throw badRequest(text);
    }
    return { valid: false, error: text, reference };
  };
  let input: Buffer;
  try {
    input = prepare(key, args, decodeStdBase64(asString(item.input)));
  } catch (e) {
    return rejected(`failed to parse item: failed to parse input: ${message(e)}`);
  }
  const contextProblem = checkContext(item);
  if (contextProblem !== undefined) {
    return rejected(`failed to parse item: failed to parse context: ${contextProblem}`);
  }
  const restriction = ed25519Restriction(key, args, item);
  if (restriction) {
    return rejected(`failed to parse item: failed to parse batch item: ${restriction}`);
  }
  try {
    return { valid: policyVerify(key, input, asString(item.signature), args.opts), reference };
  } catch (e) {
    if (e instanceof UserError) {
      return rejected(e.message);
    }
    if (!isBatch) {
      throw internalError(message(e));
    }
    return { valid: false, error: message(e), reference };
  }
}

export function handleVerify(
  key: TransitKey | undefined,
  urlAlgorithm: string,
  body: JsonObject,
): Reply {
  const raw = body.batch_input;
  const isBatch = raw !== undefined && raw !== null;
  const optional = ["signature", "hmac", "cmac", "signature_context"];
  const items = isBatch ? batchItems(raw, false) : [singleItem(body, optional)];
  if (items.length === 0) {
    throw badRequest("missing batch input to process");
  }
  checkVerifyItems(items, isBatch);
  const args = apiArgs(body, urlAlgorithm);
  if (!key) {
    throw badRequest("signature verification key not found");
  }
  checkKey(key, args);
  const results = items.map((item) => verifyItem(key, args, item, isBatch));
  const warnings = ignoredParams(body, VERIFY_FIELDS);
  const first = results[0];
  if (!isBatch && first) {
    return vaultReply({ valid: first.valid }, "transit", warnings);
  }
  return vaultReply({ batch_results: results }, "transit", warnings);
}
