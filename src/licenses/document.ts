import { canonicalBytes } from "../crypto/canonical.ts";

const ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/** A new license id: 130 random bits in lowercase Crockford base32, never derived from time. */
export function newLicenseId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(26));
  let id = "lic_";
  for (const byte of bytes) {
    id += ID_ALPHABET[byte & 31];
  }
  return id;
}

/** The exact bytes a license's signature covers: RFC 8785 JSON of every field but the signature. */
export function signedBytes(license: Record<string, unknown>): Uint8Array {
  const { signature: _signature, ...fields } = license;
  return canonicalBytes(fields);
}

/** The fields of a license an application may be shown back: all but the signature. */
export function publicFields(license: Record<string, unknown>): Record<string, unknown> {
  const { signature: _signature, ...fields } = license;
  return fields;
}
