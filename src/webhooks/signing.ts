import { decodeBase64, encodeBase64 } from "../crypto/encoding.ts";

/** Standard Webhooks secrets: this prefix, then the key's bytes in standard base64. */
export const SECRET_PREFIX = "whsec_";

export function newSecret(): string {
  return `${SECRET_PREFIX}${encodeBase64(crypto.getRandomValues(new Uint8Array(32)))}`;
}

/**
 * The `Webhook-Signature` value of the Standard Webhooks scheme: `v1,` and the base64
 * HMAC-SHA256, keyed with the secret's decoded bytes, of `<id>.<timestamp>.<body>`.
 */
export async function signPayload(
  secret: string,
  id: string,
  timestamp: number,
  body: string,
): Promise<string> {
  const raw = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = await crypto.subtle.importKey(
    "raw",
    decodeBase64(raw),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const content = new TextEncoder().encode(`${id}.${timestamp}.${body}`);
  const mac = await crypto.subtle.sign("HMAC", key, content);
  return `v1,${encodeBase64(new Uint8Array(mac))}`;
}
