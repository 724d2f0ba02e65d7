import { decodeBase64, encodeBase64Url, pemToDer } from "./encoding.ts";
import type { VaultKeyType } from "./options.ts";

/** A public JSON Web Key, as published in a JWK set. */
export interface PublicJwk {
  kty: string;
  kid: string;
  alg: string;
  use: "sig";
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
}

const CURVES: Partial<Record<VaultKeyType, string>> = {
  "ecdsa-p256": "P-256",
  "ecdsa-p384": "P-384",
  "ecdsa-p521": "P-521",
};

/**
 * A Vault public key (base64 for ed25519, PEM SubjectPublicKeyInfo otherwise) as a JWK, through
 * WebCrypto's own export so that coordinates and moduli are encoded exactly as JOSE expects.
 */
export async function vaultKeyToJwk(
  keyType: VaultKeyType,
  publicKey: string,
  kid: string,
  alg: string,
): Promise<PublicJwk> {
  const base = { kid, alg, use: "sig" as const };
  if (keyType === "ed25519") {
    return { kty: "OKP", crv: "Ed25519", x: encodeBase64Url(decodeBase64(publicKey)), ...base };
  }
  const curve = CURVES[keyType];
  const algorithm = curve
    ? { name: "ECDSA", namedCurve: curve }
    : { name: "RSA-PSS", hash: "SHA-256" };
  const key = await crypto.subtle.importKey("spki", pemToDer(publicKey), algorithm, true, [
    "verify",
  ]);
  const exported = (await crypto.subtle.exportKey("jwk", key)) as JsonWebKey;
  return curve
    ? { kty: "EC", crv: curve, x: String(exported.x), y: String(exported.y), ...base }
    : { kty: "RSA", n: String(exported.n), e: String(exported.e), ...base };
}
