const STD_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * Strict decoding with Go's encoding/base64 error positions ("illegal base64 data at input
 * byte N"); Buffer.from(s, "base64") silently skips invalid characters instead.
 */
function decodeBase64(src: string, alphabet: string, padded: boolean): Buffer {
  const corrupt = (at: number) => new Error(`illegal base64 data at input byte ${at}`);
  const isNewline = (i: number) => src[i] === "\n" || src[i] === "\r";
  let clean = "";
  let quantum = 0;
  let si = 0;
  while (si < src.length) {
    const ch = src[si] ?? "";
    si++;
    if (ch === "\n" || ch === "\r") {
      continue;
    }
    if (alphabet.includes(ch)) {
      clean += ch;
      quantum = (quantum + 1) % 4;
      continue;
    }
    if (!padded || ch !== "=") {
      throw corrupt(si - 1);
    }
    if (quantum < 2) {
      throw corrupt(si - 1);
    }
    if (quantum === 2) {
      while (si < src.length && isNewline(si)) {
        si++;
      }
      if (si === src.length) {
        throw corrupt(src.length);
      }
      if (src[si] !== "=") {
        throw corrupt(si - 1);
      }
      si++;
    }
    while (si < src.length && isNewline(si)) {
      si++;
    }
    if (si < src.length) {
      throw corrupt(si);
    }
    return Buffer.from(clean, padded ? "base64" : "base64url");
  }
  if (quantum === 1 || (padded && quantum !== 0)) {
    throw corrupt(si - quantum);
  }
  return Buffer.from(clean, padded ? "base64" : "base64url");
}

export function decodeStdBase64(src: string): Buffer {
  return decodeBase64(src, STD_ALPHABET, true);
}

export function decodeRawUrlBase64(src: string): Buffer {
  return decodeBase64(src, URL_ALPHABET, false);
}
