// ECDSA signature encodings. Vault's asn1 marshaling is a DER SEQUENCE of two INTEGERs, while
// WebCrypto only accepts the fixed-width r||s form that Vault's jws marshaling already uses.

import { SignatureFormatError } from "./vault-signature.ts";

/** Checks that a jws (r||s) signature has the width of the curve. */
export function checkRawEcdsa(
  bytes: Uint8Array<ArrayBuffer>,
  fieldBytes: number,
): Uint8Array<ArrayBuffer> {
  if (bytes.length !== fieldBytes * 2) {
    throw new SignatureFormatError(
      `jws ECDSA signature must be ${fieldBytes * 2} bytes, got ${bytes.length}`,
    );
  }
  return bytes;
}

// Strict DER (as Go's encoding/asn1 enforces): definite minimal lengths, minimal non-negative
// INTEGERs no longer than the field, and nothing after the SEQUENCE.
export function derToRawEcdsa(der: Uint8Array, fieldBytes: number): Uint8Array<ArrayBuffer> {
  if (byteAt(der, 0) !== 0x30) {
    throw new SignatureFormatError("ECDSA signature is not a DER SEQUENCE");
  }
  const sequence = readLength(der, 1);
  if (sequence.next + sequence.length !== der.length) {
    throw new SignatureFormatError("ECDSA signature SEQUENCE length does not match its size");
  }
  const raw = new Uint8Array(fieldBytes * 2);
  const afterR = readInteger(der, sequence.next, raw, 0, fieldBytes);
  const afterS = readInteger(der, afterR, raw, fieldBytes, fieldBytes);
  if (afterS !== der.length) {
    throw new SignatureFormatError("ECDSA signature has data after the two INTEGERs");
  }
  return raw;
}

function byteAt(der: Uint8Array, offset: number): number {
  const value = der[offset];
  if (value === undefined) {
    throw new SignatureFormatError("ECDSA signature DER is truncated");
  }
  return value;
}

function readLength(der: Uint8Array, offset: number): { length: number; next: number } {
  const first = byteAt(der, offset);
  if (first < 0x80) {
    return { length: first, next: offset + 1 };
  }
  const count = first & 0x7f;
  if (count === 0 || count > 2) {
    throw new SignatureFormatError("ECDSA signature uses an unsupported DER length form");
  }
  let length = 0;
  for (let i = 1; i <= count; i++) {
    length = length * 256 + byteAt(der, offset + i);
  }
  if (length < 0x80 || (count === 2 && length < 0x100)) {
    throw new SignatureFormatError("ECDSA signature uses a non-minimal DER length");
  }
  return { length, next: offset + 1 + count };
}

function readInteger(
  der: Uint8Array,
  offset: number,
  out: Uint8Array,
  outOffset: number,
  size: number,
): number {
  if (byteAt(der, offset) !== 0x02) {
    throw new SignatureFormatError("ECDSA signature component is not a DER INTEGER");
  }
  const { length, next: start } = readLength(der, offset + 1);
  const end = start + length;
  if (length === 0 || end > der.length) {
    throw new SignatureFormatError("ECDSA signature INTEGER is empty or truncated");
  }
  const first = byteAt(der, start);
  if (first & 0x80) {
    throw new SignatureFormatError("ECDSA signature INTEGER is negative");
  }
  let valueStart = start;
  if (first === 0 && length > 1) {
    if ((byteAt(der, start + 1) & 0x80) === 0) {
      throw new SignatureFormatError("ECDSA signature INTEGER is not minimally encoded");
    }
    valueStart++;
  }
  const valueLength = end - valueStart;
  if (valueLength > size) {
    throw new SignatureFormatError("ECDSA signature INTEGER is longer than the curve field");
  }
  out.set(der.subarray(valueStart, end), outOffset + size - valueLength);
  return end;
}
