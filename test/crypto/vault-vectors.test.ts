import { describe, expect, it } from "vitest";
import { decodeBase64 } from "../../src/crypto/encoding.ts";
import { formatVaultSignature, parseVaultSignature } from "../../src/crypto/vault-signature.ts";
import {
  type ImportOptions,
  importVaultPublicKey,
  isVaultKeyType,
  parseSignatureOptions,
  type VerificationKey,
  verifyVaultSignature,
} from "../../src/crypto/verify.ts";
import { type VaultVector, VECTOR_CASES, VECTORS } from "../fixtures/vault-vectors.ts";
import { rejects } from "../fixtures/verification.ts";

function optionsFor(vector: VaultVector): ImportOptions {
  const { params } = vector;
  return parseSignatureOptions({
    hashAlgorithm: params.hash_algorithm,
    signatureAlgorithm: params.signature_algorithm,
    marshalingAlgorithm: params.marshaling_algorithm,
    saltLength: params.salt_length,
  });
}

async function load(vector: VaultVector): Promise<{
  key: VerificationKey;
  input: Uint8Array;
  keyVersion: number;
  bytes: Uint8Array;
  marshaling: "asn1" | "jws";
}> {
  if (!isVaultKeyType(vector.key_type)) {
    throw new Error(`${vector.id}: unexpected key type ${vector.key_type}`);
  }
  const options = optionsFor(vector);
  const marshaling = options.marshalingAlgorithm ?? "asn1";
  const { keyVersion, bytes } = parseVaultSignature(vector.signature, marshaling);
  const key = await importVaultPublicKey(vector.key_type, vector.public_key, {
    ...options,
    keyVersion,
  });
  return { key, input: decodeBase64(vector.input_b64), keyVersion, bytes, marshaling };
}

function flip(bytes: Uint8Array, index: number): Uint8Array<ArrayBuffer> {
  const copy = new Uint8Array(bytes);
  copy[index] = (copy[index] ?? 0) ^ 0xff;
  return copy;
}

describe("signatures made by Vault", () => {
  it("covers several key types and both marshalings", () => {
    expect(VECTORS.length).toBeGreaterThanOrEqual(6);
    const types = new Set(VECTORS.map((vector) => vector.key_type));
    expect(types).toEqual(new Set(["ed25519", "ecdsa-p256", "rsa-2048", "rsa-4096"]));
  });

  describe.each(VECTOR_CASES)("%s", (_, vector) => {
    it("verifies", async () => {
      const { key, input } = await load(vector);
      expect(await verifyVaultSignature(key, input, vector.signature)).toBe(true);
    });

    it("fails when any byte of the input changes, or the input grows or shrinks", async () => {
      const { key, input } = await load(vector);
      for (let index = 0; index < input.length; index++) {
        const changed = flip(input, index);
        expect(await verifyVaultSignature(key, changed, vector.signature), `byte ${index}`).toBe(
          false,
        );
      }
      const longer = new Uint8Array([...input, 0]);
      expect(await verifyVaultSignature(key, longer, vector.signature)).toBe(false);
      const shorter = input.subarray(0, input.length - 1);
      expect(await verifyVaultSignature(key, shorter, vector.signature)).toBe(false);
      expect(await verifyVaultSignature(key, new Uint8Array(0), vector.signature)).toBe(false);
    });

    it("fails when any byte of the signature changes", async () => {
      const { key, input, keyVersion, bytes, marshaling } = await load(vector);
      for (let index = 0; index < bytes.length; index++) {
        const tampered = formatVaultSignature(keyVersion, flip(bytes, index), marshaling);
        const refused = await rejects(verifyVaultSignature(key, input, tampered));
        expect(refused, `signature byte ${index}`).toBe(true);
      }
    });

    it("fails when the key version changes", async () => {
      const { key, input, keyVersion, bytes, marshaling } = await load(vector);
      for (const other of [keyVersion + 1, keyVersion + 10]) {
        const relabelled = formatVaultSignature(other, bytes, marshaling);
        expect(await verifyVaultSignature(key, input, relabelled)).toBe(false);
      }
    });

    it("round-trips through the signature formatter unchanged", async () => {
      const { keyVersion, bytes, marshaling } = await load(vector);
      expect(formatVaultSignature(keyVersion, bytes, marshaling)).toBe(vector.signature);
    });
  });
});
