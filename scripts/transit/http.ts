import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** A finished response: `body` undefined means no body (204, HEAD). */
export interface Reply {
  status: number;
  body?: Json;
}

export class VaultError extends Error {
  readonly status: number;
  readonly errors: string[];

  constructor(status: number, errors: string[]) {
    super(errors.join("; "));
    this.status = status;
    this.errors = errors;
  }
}

/**
 * Errors a Vault backend returns without a response object reach the client wrapped in a
 * go-multierror, so their text carries this framing.
 */
export function multierrorText(message: string): string {
  return `1 error occurred:\n\t* ${message}\n\n`;
}

export function badRequest(message: string): VaultError {
  return new VaultError(400, [message]);
}

export function internalError(message: string): VaultError {
  return new VaultError(500, [multierrorText(message)]);
}

export function unsupportedPath(): VaultError {
  return new VaultError(404, [multierrorText("unsupported path")]);
}

export function unsupportedOperation(): VaultError {
  return new VaultError(405, [multierrorText("unsupported operation")]);
}

export function errorReply(error: VaultError): Reply {
  return { status: error.status, body: { errors: error.errors } };
}

export function vaultReply(data: JsonObject, mountType: string, warnings: string[] = []): Reply {
  return {
    status: 200,
    body: {
      request_id: randomUUID(),
      lease_id: "",
      renewable: false,
      lease_duration: 0,
      data,
      wrap_info: null,
      warnings: warnings.length > 0 ? warnings : null,
      auth: null,
      mount_type: mountType,
    },
  };
}

/** Vault adds this warning when a request carries fields the endpoint does not know. */
export function ignoredParams(body: JsonObject, known: readonly string[]): string[] {
  const ignored = Object.keys(body)
    .filter((k) => !known.includes(k))
    .sort();
  return ignored.length > 0
    ? [`Endpoint ignored these unrecognized parameters: [${ignored.join(" ")}]`]
    : [];
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  }
  return Buffer.concat(chunks).toString("utf8");
}

export function parseJsonObject(text: string): JsonObject {
  if (text.trim() === "") {
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw badRequest(`failed to parse JSON input: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    const kind = Array.isArray(parsed) ? "array" : parsed === null ? "null" : typeof parsed;
    const goType = "map[string]interface {}";
    throw badRequest(
      `failed to parse JSON input: json: cannot unmarshal ${kind} into Go value of type ${goType}`,
    );
  }
  return parsed as JsonObject;
}

function conversionError(name: string, value: Json, reason: string): VaultError {
  const input = JSON.stringify(value);
  return badRequest(
    `Field validation failed: error converting input ${input} for field "${name}": ${reason}`,
  );
}

/** Vault's framework decodes fields weakly: numbers and booleans are accepted for strings. */
export function fieldString(body: JsonObject, name: string, fallback: string): string {
  const v = body[name];
  if (v === undefined || v === null) {
    return fallback;
  }
  if (typeof v === "string") {
    return v;
  }
  if (typeof v === "number") {
    return String(v);
  }
  if (typeof v === "boolean") {
    return v ? "1" : "0";
  }
  throw conversionError(name, v, "expected a string");
}

export function fieldInt(body: JsonObject, name: string, fallback: number): number {
  const v = body[name];
  if (v === undefined || v === null) {
    return fallback;
  }
  if (typeof v === "number" && Number.isSafeInteger(v)) {
    return v;
  }
  if (typeof v === "string" && /^[+-]?\d+$/.test(v.trim()) && Number.isSafeInteger(Number(v))) {
    return Number(v);
  }
  if (typeof v === "boolean") {
    return v ? 1 : 0;
  }
  throw conversionError(name, v, "expected an integer");
}

const TRUE_WORDS = ["1", "t", "T", "TRUE", "true", "True"];
const FALSE_WORDS = ["0", "f", "F", "FALSE", "false", "False"];

/** Go's strconv.ParseBool, which Vault uses for string booleans and query flags. */
export function parseGoBool(s: string): boolean | undefined {
  if (TRUE_WORDS.includes(s)) {
    return true;
  }
  return FALSE_WORDS.includes(s) ? false : undefined;
}

export function fieldBool(body: JsonObject, name: string, fallback: boolean): boolean {
  const v = body[name];
  if (v === undefined || v === null) {
    return fallback;
  }
  if (typeof v === "boolean") {
    return v;
  }
  if (typeof v === "number") {
    return v !== 0;
  }
  const parsed = typeof v === "string" ? parseGoBool(v) : undefined;
  if (parsed === undefined) {
    throw conversionError(name, v, "expected a boolean");
  }
  return parsed;
}

const DURATION_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds from a number or a duration string such as "3600", "1h" or "90d". */
export function fieldDurationSeconds(body: JsonObject, name: string, fallback: number): number {
  const v = body[name];
  if (v === undefined || v === null) {
    return fallback;
  }
  if (typeof v === "number" && Number.isFinite(v)) {
    return Math.trunc(v);
  }
  if (typeof v === "string") {
    const s = v.trim();
    if (/^\d+$/.test(s)) {
      return Number(s);
    }
    const parts = [...s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
    if (parts.length > 0 && parts.map((p) => p[0]).join("") === s) {
      return Math.trunc(
        parts.reduce((sum, p) => sum + Number(p[1]) * (DURATION_UNITS[p[2] ?? "s"] ?? 1), 0),
      );
    }
  }
  throw conversionError(name, v, "expected a duration");
}
