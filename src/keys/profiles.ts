import type { SignatureOptions, VaultKeyType } from "../crypto/verify.ts";
import type { SignParams } from "../vault/client.ts";

/**
 * How licenses are signed with each Transit key type. Fixed per key type, so a verifier needs
 * only the key to check any license. The choices match JWS algorithms (EdDSA, ES256/384/512,
 * PS256): raw r||s for ECDSA, a hash-length PSS salt, and base64url signatures.
 */
const PROFILES: Record<VaultKeyType, SignatureOptions> = {
  ed25519: { marshalingAlgorithm: "jws" },
  "ecdsa-p256": { hashAlgorithm: "sha2-256", marshalingAlgorithm: "jws" },
  "ecdsa-p384": { hashAlgorithm: "sha2-384", marshalingAlgorithm: "jws" },
  "ecdsa-p521": { hashAlgorithm: "sha2-512", marshalingAlgorithm: "jws" },
  "rsa-2048": rsaProfile(),
  "rsa-3072": rsaProfile(),
  "rsa-4096": rsaProfile(),
};

function rsaProfile(): SignatureOptions {
  return {
    hashAlgorithm: "sha2-256",
    signatureAlgorithm: "pss",
    saltLength: "hash",
    marshalingAlgorithm: "jws",
  };
}

/** The JWS algorithm each profile amounts to, for license tokens and the JWKS. */
const JWS_ALGORITHMS: Record<VaultKeyType, string> = {
  ed25519: "EdDSA",
  "ecdsa-p256": "ES256",
  "ecdsa-p384": "ES384",
  "ecdsa-p521": "ES512",
  "rsa-2048": "PS256",
  "rsa-3072": "PS256",
  "rsa-4096": "PS256",
};

export function jwsAlgorithm(type: VaultKeyType): string {
  return JWS_ALGORITHMS[type];
}

/** Names a key version in JWS headers and JWK sets. */
export function keyId(keyName: string, version: number): string {
  return `${keyName}:v${version}`;
}

export function signatureOptions(type: VaultKeyType): SignatureOptions {
  return PROFILES[type];
}

/** The same profile as Transit sign parameters. */
export function signParams(type: VaultKeyType, keyVersion?: number): SignParams {
  const profile = PROFILES[type];
  const params: SignParams = {};
  if (keyVersion !== undefined) {
    params.key_version = keyVersion;
  }
  if (profile.hashAlgorithm) {
    params.hash_algorithm = profile.hashAlgorithm;
  }
  if (profile.signatureAlgorithm) {
    params.signature_algorithm = profile.signatureAlgorithm;
  }
  if (profile.marshalingAlgorithm) {
    params.marshaling_algorithm = profile.marshalingAlgorithm;
  }
  if (profile.saltLength !== undefined) {
    params.salt_length = profile.saltLength;
  }
  return params;
}
