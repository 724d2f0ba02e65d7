import { decodeBase64, decodeBase64Url, encodeBase64, encodeBase64Url } from "./encoding.ts";

/** Thrown when a signature cannot be decoded into a signature of the expected shape. */
export class SignatureFormatError extends Error {
  override name = "SignatureFormatError";
}

/** Vault's marshaling_algorithm: it selects the payload alphabet (and, for ECDSA, the layout). */
export type MarshalingAlgorithm = "asn1" | "jws";

export interface VaultSignature {
  keyVersion: number;
  bytes: Uint8Array<ArrayBuffer>;
}

const PREFIX = "vault:v";

/**
 * Splits `vault:v<N>:<payload>`; the payload is standard base64 for asn1 marshaling and
 * base64url for jws, padding optional in both. Throws SignatureFormatError.
 */
export function parseVaultSignature(
  signature: string,
  marshaling: MarshalingAlgorithm = "asn1",
): VaultSignature {
  if (!signature.startsWith(PREFIX)) {
    throw new SignatureFormatError('signature does not start with "vault:v"');
  }
  const separator = signature.indexOf(":", PREFIX.length);
  if (separator < 0) {
    throw new SignatureFormatError("signature has no payload after the key version");
  }
  const versionText = signature.slice(PREFIX.length, separator);
  // Only canonical decimal: "v01" or "v+1" would name the same key under another spelling.
  if (!/^[1-9][0-9]*$/.test(versionText)) {
    throw new SignatureFormatError(`key version "${versionText}" is not a positive integer`);
  }
  const keyVersion = Number(versionText);
  if (!Number.isSafeInteger(keyVersion)) {
    throw new SignatureFormatError(`key version "${versionText}" is too large`);
  }
  const payload = signature.slice(separator + 1);
  if (payload.length === 0) {
    throw new SignatureFormatError("signature payload is empty");
  }
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = marshaling === "jws" ? decodeBase64Url(payload) : decodeBase64(payload);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SignatureFormatError(`signature payload: ${reason}`);
  }
  return { keyVersion, bytes };
}

/** Builds the string Vault would return for these signature bytes. */
export function formatVaultSignature(
  keyVersion: number,
  bytes: Uint8Array,
  marshaling: MarshalingAlgorithm = "asn1",
): string {
  if (!Number.isSafeInteger(keyVersion) || keyVersion < 1) {
    throw new RangeError(`key version ${keyVersion} is not a positive integer`);
  }
  const payload = marshaling === "jws" ? encodeBase64Url(bytes) : encodeBase64(bytes);
  return `${PREFIX}${keyVersion}:${payload}`;
}
