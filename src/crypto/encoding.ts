/** Thrown when text is not valid base64, base64url or PEM. */
export class EncodingError extends Error {
  override name = "EncodingError";
}

const STANDARD_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

function reverseTable(alphabet: string): Int8Array {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < alphabet.length; i++) {
    table[alphabet.charCodeAt(i)] = i;
  }
  return table;
}

const STANDARD_TABLE = reverseTable(STANDARD_ALPHABET);
const URL_TABLE = reverseTable(URL_ALPHABET);

function encode(bytes: Uint8Array, alphabet: string, pad: boolean): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out +=
      alphabet.charAt(n >>> 18) +
      alphabet.charAt((n >>> 12) & 63) +
      alphabet.charAt((n >>> 6) & 63) +
      alphabet.charAt(n & 63);
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = (bytes[i] ?? 0) << 16;
    out += alphabet.charAt(n >>> 18) + alphabet.charAt((n >>> 12) & 63);
    out += pad ? "==" : "";
  } else if (rest === 2) {
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8);
    out +=
      alphabet.charAt(n >>> 18) +
      alphabet.charAt((n >>> 12) & 63) +
      alphabet.charAt((n >>> 6) & 63);
    out += pad ? "=" : "";
  }
  return out;
}

function decode(text: string, table: Int8Array, name: string): Uint8Array<ArrayBuffer> {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x3d) {
    end--;
  }
  const padding = text.length - end;
  // Padding is optional, but when present it must complete the final quantum exactly.
  if (padding > 2 || (padding > 0 && text.length % 4 !== 0) || end % 4 === 1) {
    throw new EncodingError(`invalid ${name}: bad length or padding`);
  }
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let buffer = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? (table[code] ?? -1) : -1;
    if (value < 0) {
      throw new EncodingError(`invalid ${name}: unexpected character at offset ${i}`);
    }
    buffer = ((buffer << 6) | value) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (buffer >>> bits) & 0xff;
    }
  }
  // Non-zero leftover bits would let several strings decode to the same bytes.
  if ((buffer & ((1 << bits) - 1)) !== 0) {
    throw new EncodingError(`invalid ${name}: non-canonical trailing bits`);
  }
  return out;
}

/** Encodes bytes as standard base64 with padding. */
export function encodeBase64(bytes: Uint8Array): string {
  return encode(bytes, STANDARD_ALPHABET, true);
}

/** Encodes bytes as base64url without padding. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return encode(bytes, URL_ALPHABET, false);
}

/**
 * Decodes standard base64; padding is optional, anything outside the alphabet (including
 * whitespace) and non-zero trailing bits throw EncodingError.
 */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  return decode(text, STANDARD_TABLE, "base64");
}

/** Decodes base64url with the same strictness as decodeBase64. */
export function decodeBase64Url(text: string): Uint8Array<ArrayBuffer> {
  return decode(text, URL_TABLE, "base64url");
}

/**
 * Extracts the DER bytes of the single PEM block with the given label (SubjectPublicKeyInfo
 * by default); text around the block is ignored, line breaks inside it are not significant.
 */
export function pemToDer(pem: string, label = "PUBLIC KEY"): Uint8Array<ArrayBuffer> {
  const begin = `-----BEGIN ${label}-----`;
  const end = `-----END ${label}-----`;
  const start = pem.indexOf(begin);
  if (start < 0) {
    throw new EncodingError(`invalid PEM: no "${begin}" line`);
  }
  const bodyStart = start + begin.length;
  const stop = pem.indexOf(end, bodyStart);
  if (stop < 0) {
    throw new EncodingError(`invalid PEM: no "${end}" line`);
  }
  if (pem.indexOf(begin, stop) >= 0) {
    throw new EncodingError("invalid PEM: more than one block");
  }
  const body = pem.slice(bodyStart, stop).replace(/[ \t\r\n]/g, "");
  if (body.length === 0) {
    throw new EncodingError("invalid PEM: empty body");
  }
  try {
    return decodeBase64(body);
  } catch (error) {
    throw new EncodingError(`invalid PEM body: ${errorMessage(error)}`);
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
