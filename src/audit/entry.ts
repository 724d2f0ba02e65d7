import { canonicalJson } from "../crypto/canonical.ts";

/** One audited change, as written with the change and as hashed into the chain. */
export interface AuditContent {
  event_id: string;
  tenant_id: string;
  action: string;
  target: string;
  actor: string;
  request_id: string;
  occurred_at: string;
  fields: Record<string, unknown>;
}

export const GENESIS_HASH = "0".repeat(64);

const encoder = new TextEncoder();

function hex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The bytes both the MAC and the chain hash cover: canonical JSON of the entry's content. */
export function contentBytes(content: AuditContent): Uint8Array {
  return encoder.encode(canonicalJson(content));
}

/** The chain link: SHA-256 over the previous hash and this entry's content. */
export async function chainHash(prevHash: string, content: AuditContent): Promise<string> {
  const bytes = encoder.encode(`${prevHash}\n${canonicalJson(content)}`);
  return hex(await crypto.subtle.digest("SHA-256", bytes));
}

/** Imports the key that authenticates entries before they are sealed. */
export async function importMacKey(secret: string): Promise<CryptoKey> {
  return await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
}

export async function entryMac(key: CryptoKey, content: AuditContent): Promise<string> {
  return hex(await crypto.subtle.sign("HMAC", key, contentBytes(content)));
}

/** Checks a stored MAC with WebCrypto's own comparison, which takes constant time. */
export async function macMatches(
  key: CryptoKey,
  content: AuditContent,
  mac: string,
): Promise<boolean> {
  if (!/^[0-9a-f]{64}$/.test(mac)) {
    return false;
  }
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i += 1) {
    bytes[i] = Number.parseInt(mac.slice(i * 2, i * 2 + 2), 16);
  }
  return await crypto.subtle.verify("HMAC", key, bytes, contentBytes(content));
}

/** The content of a stored row. */
export function contentOf(row: AuditRow): AuditContent {
  return {
    event_id: row.event_id,
    tenant_id: row.tenant_id,
    action: row.action,
    target: row.target,
    actor: row.actor,
    request_id: row.request_id,
    occurred_at: row.occurred_at,
    fields: JSON.parse(row.fields) as Record<string, unknown>,
  };
}

/** An entry as stored: its content (fields as JSON), MAC, and chain position once sealed. */
export type AuditRow = Omit<AuditContent, "fields"> & {
  entry_id: number;
  fields: string;
  mac: string;
  seq: number | null;
  prev_hash: string | null;
  hash: string | null;
};
