import { describe, expect, it } from "vitest";
import { encodeBase64 } from "../../src/crypto/encoding.ts";
import {
  formatVaultSignature,
  type MarshalingAlgorithm,
  parseVaultSignature,
} from "../../src/crypto/vault-signature.ts";
import {
  type HashAlgorithm,
  type ImportOptions,
  importVaultPublicKey,
  KeyFormatError,
  parseSignatureOptions,
  SignatureFormatError,
  SignatureOptionsError,
  type VaultKeyType,
  type VerificationKey,
  verifyVaultSignature,
} from "../../src/crypto/verify.ts";
import { rejects } from "../fixtures/verification.ts";

const INPUT = new TextEncoder().encode('{"license":"abc","seats":5}');
const OTHER_INPUT = new TextEncoder().encode('{"license":"abc","seats":6}');

const WEBCRYPTO_HASH: Record<HashAlgorithm, string> = {
  "sha2-256": "SHA-256",
  "sha2-384": "SHA-384",
  "sha2-512": "SHA-512",
};

const HASH_BYTES: Record<HashAlgorithm, number> = {
  "sha2-256": 32,
  "sha2-384": 48,
  "sha2-512": 64,
};

interface Signer {
  publicKey: string;
  sign(input: Uint8Array): Promise<Uint8Array<ArrayBuffer>>;
}

function toPem(der: ArrayBuffer): string {
  const body = encodeBase64(new Uint8Array(der)).replace(/.{64}/g, "$&\n");
  return `-----BEGIN PUBLIC KEY-----\n${body.replace(/\n$/, "")}\n-----END PUBLIC KEY-----\n`;
}

async function ed25519Signer(): Promise<Signer> {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const raw = (await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer;
  return {
    publicKey: encodeBase64(new Uint8Array(raw)),
    sign: async (input) =>
      new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, pair.privateKey, input)),
  };
}

// Returns raw r||s, the WebCrypto layout, which is also Vault's jws marshaling.
async function ecdsaSigner(namedCurve: string, hash: HashAlgorithm): Promise<Signer> {
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const spki = (await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer;
  const algorithm = { name: "ECDSA", hash: WEBCRYPTO_HASH[hash] };
  return {
    publicKey: toPem(spki),
    sign: async (input) =>
      new Uint8Array(await crypto.subtle.sign(algorithm, pair.privateKey, input)),
  };
}

async function rsaSigner(
  scheme: "RSA-PSS" | "RSASSA-PKCS1-v1_5",
  modulusLength: number,
  hash: HashAlgorithm,
  saltLength = 0,
): Promise<Signer> {
  const pair = (await crypto.subtle.generateKey(
    {
      name: scheme,
      modulusLength,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: WEBCRYPTO_HASH[hash],
    },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  const spki = (await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer;
  const algorithm = { name: scheme, saltLength };
  return {
    publicKey: toPem(spki),
    sign: async (input) =>
      new Uint8Array(await crypto.subtle.sign(algorithm, pair.privateKey, input)),
  };
}

function derInteger(value: Uint8Array): number[] {
  let start = 0;
  while (start < value.length - 1 && value[start] === 0) {
    start++;
  }
  const body = Array.from(value.subarray(start));
  if ((body[0] ?? 0) & 0x80) {
    body.unshift(0);
  }
  return [0x02, body.length, ...body];
}

/** Encodes raw r||s as the ASN.1 DER SEQUENCE Vault returns for asn1 marshaling. */
function rawToDer(raw: Uint8Array): Uint8Array<ArrayBuffer> {
  const half = raw.length / 2;
  const content = [...derInteger(raw.subarray(0, half)), ...derInteger(raw.subarray(half))];
  const length = content.length < 0x80 ? [content.length] : [0x81, content.length];
  return new Uint8Array([0x30, ...length, ...content]);
}

function flipByte(bytes: Uint8Array, index: number): Uint8Array<ArrayBuffer> {
  const copy = new Uint8Array(bytes);
  copy[index] = (copy[index] ?? 0) ^ 0x01;
  return copy;
}

async function expectValid(
  key: VerificationKey,
  signature: string,
  marshaling: MarshalingAlgorithm,
): Promise<void> {
  expect(await verifyVaultSignature(key, INPUT, signature)).toBe(true);
  expect(await verifyVaultSignature(key, OTHER_INPUT, signature)).toBe(false);
  const { keyVersion, bytes } = parseVaultSignature(signature, marshaling);
  const last = bytes.length - 1;
  for (const index of [0, Math.floor(bytes.length / 2), last]) {
    const tampered = formatVaultSignature(keyVersion, flipByte(bytes, index), marshaling);
    await expect(rejects(verifyVaultSignature(key, INPUT, tampered))).resolves.toBe(true);
  }
}

describe("ed25519", () => {
  it.each(["asn1", "jws"] as const)("verifies %s-marshaled signatures", async (marshaling) => {
    const signer = await ed25519Signer();
    const key = await importVaultPublicKey("ed25519", signer.publicKey, {
      marshalingAlgorithm: marshaling,
    });
    const signature = formatVaultSignature(3, await signer.sign(INPUT), marshaling);
    await expectValid(key, signature, marshaling);
  });

  it("ignores the hash algorithm, as Vault does for pure Ed25519", async () => {
    const signer = await ed25519Signer();
    const key = await importVaultPublicKey("ed25519", signer.publicKey, {
      hashAlgorithm: "sha2-512",
    });
    const signature = formatVaultSignature(1, await signer.sign(INPUT));
    expect(await verifyVaultSignature(key, INPUT, signature)).toBe(true);
  });

  it("rejects a signature from another key", async () => {
    const signer = await ed25519Signer();
    const other = await ed25519Signer();
    const key = await importVaultPublicKey("ed25519", other.publicKey);
    const signature = formatVaultSignature(1, await signer.sign(INPUT));
    expect(await verifyVaultSignature(key, INPUT, signature)).toBe(false);
  });

  it("refuses signatures that are not 64 bytes", async () => {
    const signer = await ed25519Signer();
    const key = await importVaultPublicKey("ed25519", signer.publicKey);
    const sig = await signer.sign(INPUT);
    for (const bytes of [sig.subarray(0, 63), new Uint8Array([...sig, 0])]) {
      await expect(
        verifyVaultSignature(key, INPUT, formatVaultSignature(1, bytes)),
      ).rejects.toBeInstanceOf(SignatureFormatError);
    }
  });

  it("refuses public keys that are not 32 base64 bytes", async () => {
    await expect(importVaultPublicKey("ed25519", encodeBase64(new Uint8Array(31)))).rejects.toThrow(
      KeyFormatError,
    );
    await expect(importVaultPublicKey("ed25519", "not base64!")).rejects.toThrow(KeyFormatError);
  });
});

describe("ecdsa", () => {
  const curves = [
    ["ecdsa-p256", "P-256"],
    ["ecdsa-p384", "P-384"],
    ["ecdsa-p521", "P-521"],
  ] as const;
  const cases = curves.flatMap(([keyType, curve]) =>
    (["sha2-256", "sha2-384", "sha2-512"] as const).flatMap((hash) =>
      (["asn1", "jws"] as const).map((marshaling) => [keyType, curve, hash, marshaling] as const),
    ),
  );

  it.each(cases)("%s (%s) with %s, %s marshaling", async (keyType, curve, hash, marshaling) => {
    const signer = await ecdsaSigner(curve, hash);
    const options = { hashAlgorithm: hash, marshalingAlgorithm: marshaling };
    const key = await importVaultPublicKey(keyType, signer.publicKey, options);
    const raw = await signer.sign(INPUT);
    const bytes = marshaling === "asn1" ? rawToDer(raw) : raw;
    const signature = formatVaultSignature(1, bytes, marshaling);
    await expectValid(key, signature, marshaling);
  });

  it("fails when verified with a different hash than the one signed with", async () => {
    const signer = await ecdsaSigner("P-384", "sha2-384");
    const key = await importVaultPublicKey("ecdsa-p384", signer.publicKey);
    const signature = formatVaultSignature(1, rawToDer(await signer.sign(INPUT)));
    expect(await verifyVaultSignature(key, INPUT, signature)).toBe(false);
    const options = { hashAlgorithm: "sha2-384" } as const;
    expect(await verifyVaultSignature(key, INPUT, signature, options)).toBe(true);
  });

  it("converts DER integers that need a sign byte or are shorter than the field", async () => {
    const signer = await ecdsaSigner("P-256", "sha2-256");
    const key = await importVaultPublicKey("ecdsa-p256", signer.publicKey);
    let sawSignByte = false;
    let sawShort = false;
    // About one signature in 128 has a component with a leading zero byte.
    for (let i = 0; i < 5000 && !(sawSignByte && sawShort); i++) {
      const raw = await signer.sign(INPUT);
      const needsSign = ((raw[0] ?? 0) & 0x80) !== 0 || ((raw[32] ?? 0) & 0x80) !== 0;
      const short = raw[0] === 0 || raw[32] === 0;
      if ((needsSign && !sawSignByte) || (short && !sawShort)) {
        sawSignByte ||= needsSign;
        sawShort ||= short;
        const signature = formatVaultSignature(1, rawToDer(raw));
        expect(await verifyVaultSignature(key, INPUT, signature)).toBe(true);
      }
    }
    expect(sawSignByte && sawShort).toBe(true);
  });

  describe("malformed signatures", () => {
    async function setup(): Promise<{ key: VerificationKey; der: number[]; raw: Uint8Array }> {
      const signer = await ecdsaSigner("P-256", "sha2-256");
      const key = await importVaultPublicKey("ecdsa-p256", signer.publicKey);
      const raw = await signer.sign(INPUT);
      return { key, der: Array.from(rawToDer(raw)), raw };
    }

    async function expectFormatError(key: VerificationKey, bytes: number[]): Promise<void> {
      const signature = formatVaultSignature(1, new Uint8Array(bytes));
      await expect(verifyVaultSignature(key, INPUT, signature)).rejects.toBeInstanceOf(
        SignatureFormatError,
      );
    }

    it("refuses trailing bytes after the SEQUENCE", async () => {
      const { key, der } = await setup();
      await expectFormatError(key, [...der, 0]);
    });

    it("refuses a SEQUENCE length that disagrees with the size", async () => {
      const { key, der } = await setup();
      await expectFormatError(key, [0x30, (der[1] ?? 0) + 1, ...der.slice(2)]);
      await expectFormatError(key, der.slice(0, -1));
      // Consistent lengths, but an extra element inside the SEQUENCE.
      await expectFormatError(key, [0x30, (der[1] ?? 0) + 3, ...der.slice(2), 0x02, 0x01, 0x01]);
    });

    it("refuses a wrong outer tag and a wrong integer tag", async () => {
      const { key, der } = await setup();
      await expectFormatError(key, [0x31, ...der.slice(1)]);
      await expectFormatError(key, [0x30, der[1] ?? 0, 0x03, ...der.slice(3)]);
    });

    it("refuses a non-minimal INTEGER, a negative one and an over-long one", async () => {
      const { key, raw } = await setup();
      const r = Array.from(raw.subarray(0, 32));
      const s = derInteger(raw.subarray(32));
      const build = (rInteger: number[]) => [0x30, rInteger.length + s.length, ...rInteger, ...s];
      const padded = [0, 0, ...r];
      await expectFormatError(key, build([0x02, padded.length, ...padded]));
      const negative = [0x80 | (r[0] ?? 0), ...r.slice(1)];
      await expectFormatError(key, build([0x02, negative.length, ...negative]));
      const long = [0x01, ...r];
      await expectFormatError(key, build([0x02, long.length, ...long]));
      await expectFormatError(key, build([0x02, 0]));
    });

    it("refuses non-minimal and indefinite DER lengths", async () => {
      const { key, der } = await setup();
      await expectFormatError(key, [0x30, 0x81, ...der.slice(1)]);
      await expectFormatError(key, [0x30, 0x80, ...der.slice(2), 0, 0]);
    });

    it("refuses jws signatures that are not exactly two field elements", async () => {
      const { key, raw } = await setup();
      const options = { marshalingAlgorithm: "jws" } as const;
      for (const bytes of [raw.subarray(0, 63), new Uint8Array([...raw, 0])]) {
        const signature = formatVaultSignature(1, bytes, "jws");
        await expect(verifyVaultSignature(key, INPUT, signature, options)).rejects.toBeInstanceOf(
          SignatureFormatError,
        );
      }
    });

    it("answers false for well-formed but out-of-range values", async () => {
      const { key } = await setup();
      await expect(
        verifyVaultSignature(key, INPUT, formatVaultSignature(1, rawToDer(new Uint8Array(64)))),
      ).resolves.toBe(false);
      const all = new Uint8Array(64).fill(0xff);
      await expect(
        verifyVaultSignature(key, INPUT, formatVaultSignature(1, rawToDer(all))),
      ).resolves.toBe(false);
    });
  });

  it("refuses a key for another curve", async () => {
    const signer = await ecdsaSigner("P-384", "sha2-256");
    await expect(importVaultPublicKey("ecdsa-p256", signer.publicKey)).rejects.toThrow(
      KeyFormatError,
    );
  });
});

describe("rsa", () => {
  // Go's maximum PSS salt, which Vault uses for salt_length=auto.
  const maxSalt = (bits: number, hash: HashAlgorithm) =>
    Math.ceil((bits - 1) / 8) - HASH_BYTES[hash] - 2;

  it("computes the maximum salt Vault signs with", () => {
    expect(maxSalt(2048, "sha2-256")).toBe(222);
    expect(maxSalt(4096, "sha2-256")).toBe(478);
  });

  it("rsa-2048 PSS with the maximum salt verifies with auto and the exact length", async () => {
    const signer = await rsaSigner("RSA-PSS", 2048, "sha2-256", maxSalt(2048, "sha2-256"));
    const key = await importVaultPublicKey("rsa-2048", signer.publicKey);
    expect(key.modulusBits).toBe(2048);
    const signature = formatVaultSignature(1, await signer.sign(INPUT));
    await expectValid(key, signature, "asn1");
    expect(await verifyVaultSignature(key, INPUT, signature, { saltLength: 222 })).toBe(true);
    expect(await verifyVaultSignature(key, INPUT, signature, { saltLength: "hash" })).toBe(false);
  });

  it("rsa-2048 PSS with a hash-length salt verifies with auto and hash", async () => {
    const signer = await rsaSigner("RSA-PSS", 2048, "sha2-256", 32);
    const key = await importVaultPublicKey("rsa-2048", signer.publicKey, { saltLength: "hash" });
    const signature = formatVaultSignature(2, await signer.sign(INPUT));
    await expectValid(key, signature, "asn1");
    expect(await verifyVaultSignature(key, INPUT, signature, { saltLength: "auto" })).toBe(true);
    expect(await verifyVaultSignature(key, INPUT, signature, { saltLength: -1 })).toBe(true);
    expect(await verifyVaultSignature(key, INPUT, signature, { saltLength: 222 })).toBe(false);
  });

  it("rsa-2048 PSS with a numeric salt needs that exact salt length", async () => {
    const signer = await rsaSigner("RSA-PSS", 2048, "sha2-512", 20);
    const options: ImportOptions = { hashAlgorithm: "sha2-512", saltLength: 20 };
    const key = await importVaultPublicKey("rsa-2048", signer.publicKey, options);
    const signature = formatVaultSignature(1, await signer.sign(INPUT), "jws");
    const jws = { marshalingAlgorithm: "jws" } as const;
    expect(await verifyVaultSignature(key, INPUT, signature, jws)).toBe(true);
    expect(await verifyVaultSignature(key, OTHER_INPUT, signature, jws)).toBe(false);
    const auto = { ...jws, saltLength: "auto" } as const;
    expect(await verifyVaultSignature(key, INPUT, signature, auto)).toBe(false);
    // Vault passes 0 to Go, where it means auto.
    expect(await verifyVaultSignature(key, INPUT, signature, { ...jws, saltLength: 0 })).toBe(
      false,
    );
    expect(await verifyVaultSignature(key, INPUT, signature, { ...jws, saltLength: 21 })).toBe(
      false,
    );
  });

  it("refuses a salt longer than the key allows", async () => {
    const signer = await rsaSigner("RSA-PSS", 2048, "sha2-256", 32);
    const key = await importVaultPublicKey("rsa-2048", signer.publicKey);
    const signature = formatVaultSignature(1, await signer.sign(INPUT));
    await expect(
      verifyVaultSignature(key, INPUT, signature, { saltLength: 223 }),
    ).rejects.toBeInstanceOf(SignatureOptionsError);
  });

  it("rsa-2048 PKCS#1 v1.5", async () => {
    const signer = await rsaSigner("RSASSA-PKCS1-v1_5", 2048, "sha2-256");
    const options = { signatureAlgorithm: "pkcs1v15" } as const;
    const key = await importVaultPublicKey("rsa-2048", signer.publicKey, options);
    const signature = formatVaultSignature(1, await signer.sign(INPUT));
    await expectValid(key, signature, "asn1");
  });

  it("rsa-3072 PSS with sha2-384", async () => {
    const signer = await rsaSigner("RSA-PSS", 3072, "sha2-384", maxSalt(3072, "sha2-384"));
    const key = await importVaultPublicKey("rsa-3072", signer.publicKey, {
      hashAlgorithm: "sha2-384",
    });
    const signature = formatVaultSignature(1, await signer.sign(INPUT));
    await expectValid(key, signature, "asn1");
  });

  it("rsa-4096 PKCS#1 v1.5 with sha2-512", async () => {
    const signer = await rsaSigner("RSASSA-PKCS1-v1_5", 4096, "sha2-512");
    const options = { signatureAlgorithm: "pkcs1v15", hashAlgorithm: "sha2-512" } as const;
    const key = await importVaultPublicKey("rsa-4096", signer.publicKey, options);
    expect(key.modulusBits).toBe(4096);
    const signature = formatVaultSignature(1, await signer.sign(INPUT));
    await expectValid(key, signature, "asn1");
  }, 60_000);

  it("refuses to verify with a scheme or hash the key was not imported for", async () => {
    const signer = await rsaSigner("RSA-PSS", 2048, "sha2-256", 32);
    const key = await importVaultPublicKey("rsa-2048", signer.publicKey);
    const signature = formatVaultSignature(1, await signer.sign(INPUT));
    for (const options of [
      { signatureAlgorithm: "pkcs1v15" },
      { hashAlgorithm: "sha2-384" },
    ] as const) {
      await expect(verifyVaultSignature(key, INPUT, signature, options)).rejects.toThrow(
        /import it again/,
      );
    }
  });

  it("refuses signatures whose length is not the modulus length", async () => {
    const signer = await rsaSigner("RSA-PSS", 2048, "sha2-256", 32);
    const key = await importVaultPublicKey("rsa-2048", signer.publicKey);
    const sig = await signer.sign(INPUT);
    for (const bytes of [sig.subarray(1), new Uint8Array([0, ...sig])]) {
      await expect(
        verifyVaultSignature(key, INPUT, formatVaultSignature(1, bytes)),
      ).rejects.toBeInstanceOf(SignatureFormatError);
    }
  });

  it("refuses a key whose size does not match the key type", async () => {
    const signer = await rsaSigner("RSA-PSS", 2048, "sha2-256");
    await expect(importVaultPublicKey("rsa-3072", signer.publicKey)).rejects.toThrow(
      KeyFormatError,
    );
    const ec = await ecdsaSigner("P-256", "sha2-256");
    await expect(importVaultPublicKey("rsa-2048", ec.publicKey)).rejects.toThrow(KeyFormatError);
  });
});

describe("signature strings", () => {
  async function ed25519Key(): Promise<{ key: VerificationKey; signature: Uint8Array }> {
    const signer = await ed25519Signer();
    const key = await importVaultPublicKey("ed25519", signer.publicKey, { keyVersion: 4 });
    return { key, signature: await signer.sign(INPUT) };
  }

  it.each([
    "foo",
    "",
    "vault:",
    "vault:v1",
    "vault:v1:",
    "vault:v0:AAAA",
    "vault:vx:AAAA",
    "vault:v-1:AAAA",
    "vault:v+1:AAAA",
    "vault:v01:AAAA",
    "vault:v1.0:AAAA",
    "vault:v99999999999999999999:AAAA",
    "vault:v:AAAA",
    "VAULT:v1:AAAA",
    "vault:v1:A",
    "vault:v1:AAAA AAAA",
    "vault:v1:AA=A",
    "vault:v1:AAA==",
    "vault:v1:@@@@",
  ])("throws SignatureFormatError for %j", async (signature) => {
    const { key } = await ed25519Key();
    await expect(verifyVaultSignature(key, INPUT, signature)).rejects.toBeInstanceOf(
      SignatureFormatError,
    );
  });

  it("decodes the payload with the alphabet the marshaling selects", async () => {
    const { key, signature } = await ed25519Key();
    const standard = formatVaultSignature(4, signature, "asn1");
    const url = formatVaultSignature(4, signature, "jws");
    const jws = { marshalingAlgorithm: "jws" } as const;
    expect(await verifyVaultSignature(key, INPUT, url, jws)).toBe(true);
    if (/[+/]/.test(standard)) {
      await expect(verifyVaultSignature(key, INPUT, standard, jws)).rejects.toBeInstanceOf(
        SignatureFormatError,
      );
    }
    if (/[-_]/.test(url)) {
      await expect(verifyVaultSignature(key, INPUT, url)).rejects.toBeInstanceOf(
        SignatureFormatError,
      );
    }
    expect(parseVaultSignature("vault:v1:-_8", "jws").bytes).toEqual(new Uint8Array([251, 255]));
    expect(() => parseVaultSignature("vault:v1:-_8")).toThrow(SignatureFormatError);
    expect(() => parseVaultSignature("vault:v1:+/8", "jws")).toThrow(SignatureFormatError);
  });

  it("accepts a payload without padding, and padding on base64url", async () => {
    const { key, signature } = await ed25519Key();
    const padded = formatVaultSignature(4, signature);
    expect(padded.endsWith("==")).toBe(true);
    expect(await verifyVaultSignature(key, INPUT, padded.replace(/=+$/, ""))).toBe(true);
    const url = `${formatVaultSignature(4, signature, "jws")}==`;
    const jws = { marshalingAlgorithm: "jws" } as const;
    expect(await verifyVaultSignature(key, INPUT, url, jws)).toBe(true);
  });

  it("refuses base64 with non-zero trailing bits", () => {
    expect(parseVaultSignature("vault:v1:QQ==").bytes).toEqual(new Uint8Array([0x41]));
    expect(() => parseVaultSignature("vault:v1:QR==")).toThrow(SignatureFormatError);
  });

  it("answers false for a version other than the one the key was imported for", async () => {
    const { key, signature } = await ed25519Key();
    expect(await verifyVaultSignature(key, INPUT, formatVaultSignature(4, signature))).toBe(true);
    expect(await verifyVaultSignature(key, INPUT, formatVaultSignature(5, signature))).toBe(false);
    expect(await verifyVaultSignature(key, INPUT, formatVaultSignature(40, signature))).toBe(false);
  });

  it("reads large key versions", () => {
    expect(parseVaultSignature("vault:v1234567:AAAA").keyVersion).toBe(1234567);
  });

  it("verifies input given as a view into a larger buffer", async () => {
    const { key, signature } = await ed25519Key();
    const backing = new Uint8Array(INPUT.length + 10);
    backing.set(INPUT, 5);
    const view = backing.subarray(5, 5 + INPUT.length);
    expect(await verifyVaultSignature(key, view, formatVaultSignature(4, signature))).toBe(true);
  });
});

describe("options", () => {
  it.each(["sha2-224", "sha3-256", "sha3-512", "sha1"])(
    "refuses the Vault hash %s because WebCrypto lacks it",
    async (hash) => {
      expect(() => parseSignatureOptions({ hashAlgorithm: hash })).toThrow(/not supported/);
      const signer = await ecdsaSigner("P-256", "sha2-256");
      const options = unchecked<ImportOptions>({ hashAlgorithm: hash });
      await expect(importVaultPublicKey("ecdsa-p256", signer.publicKey, options)).rejects.toThrow(
        SignatureOptionsError,
      );
      const key = await importVaultPublicKey("ecdsa-p256", signer.publicKey);
      const signature = formatVaultSignature(1, rawToDer(await signer.sign(INPUT)));
      await expect(verifyVaultSignature(key, INPUT, signature, options)).rejects.toThrow(
        /not supported/,
      );
    },
  );

  it("refuses prehashed and unknown hash names", () => {
    expect(() => parseSignatureOptions({ hashAlgorithm: "none" })).toThrow(/prehashed/);
    expect(() => parseSignatureOptions({ hashAlgorithm: "SHA-256" })).toThrow(
      SignatureOptionsError,
    );
  });

  it("parses Vault's string forms", () => {
    expect(
      parseSignatureOptions({
        hashAlgorithm: "sha2-384",
        signatureAlgorithm: "pkcs1v15",
        marshalingAlgorithm: "jws",
        saltLength: "20",
      }),
    ).toEqual({
      hashAlgorithm: "sha2-384",
      signatureAlgorithm: "pkcs1v15",
      marshalingAlgorithm: "jws",
      saltLength: 20,
    });
    expect(parseSignatureOptions({})).toEqual({});
    expect(parseSignatureOptions({ saltLength: "AUTO" })).toEqual({ saltLength: "auto" });
    expect(parseSignatureOptions({ saltLength: "0" })).toEqual({ saltLength: "auto" });
    expect(parseSignatureOptions({ saltLength: "-1" })).toEqual({ saltLength: "hash" });
  });

  it.each([
    { signatureAlgorithm: "pss2" },
    { marshalingAlgorithm: "der" },
    { saltLength: "-2" },
    { saltLength: "1.5" },
    { saltLength: "twenty" },
    { saltLength: "" },
  ])("refuses %j", (raw) => {
    expect(() => parseSignatureOptions(raw)).toThrow(SignatureOptionsError);
  });

  it("refuses unknown key types and bad key versions", async () => {
    const signer = await ed25519Signer();
    const keyType = unchecked<VaultKeyType>("aes256-gcm96");
    await expect(importVaultPublicKey(keyType, signer.publicKey)).rejects.toThrow(KeyFormatError);
    for (const keyVersion of [0, -1, 1.5]) {
      await expect(
        importVaultPublicKey("ed25519", signer.publicKey, { keyVersion }),
      ).rejects.toThrow(SignatureOptionsError);
    }
  });
});

// Mimics a caller that bypasses the types, e.g. with values read from configuration.
function unchecked<T>(value: unknown): T {
  return value as T;
}
