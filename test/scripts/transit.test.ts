import { spawn } from "node:child_process";
import {
  constants,
  createHash,
  createPublicKey,
  type KeyObject,
  publicDecrypt,
  verify,
} from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeStdBase64 } from "../../scripts/transit/base64.ts";
import { createListRewriter } from "../../scripts/transit/listmethod.ts";
import { startTransitServer, type TransitServer } from "../../scripts/transit/server.ts";

type Obj = Record<string, unknown>;

interface Res {
  status: number;
  body: Obj | null;
  text: string;
}

const TOKEN = "root-test-token";
const MESSAGE = Buffer.from("license: acme-corp, seats=25, expires=2031-01-01");
const INPUT = MESSAGE.toString("base64");
const NODE_HASH: Record<string, string> = {
  sha1: "sha1",
  "sha2-224": "sha224",
  "sha2-256": "sha256",
  "sha2-384": "sha384",
  "sha2-512": "sha512",
  "sha3-256": "sha3-256",
};

async function call(
  server: TransitServer,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = { "X-Vault-Token": TOKEN },
  signal?: AbortSignal,
): Promise<Res> {
  const init: RequestInit = { method, headers };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  if (signal) {
    init.signal = signal;
  }
  const res = await fetch(`${server.url}${path}`, init);
  const text = await res.text();
  return { status: res.status, body: text === "" ? null : (JSON.parse(text) as Obj), text };
}

function data(res: Res): Obj {
  return (res.body?.data ?? {}) as Obj;
}

function results(res: Res): Obj[] {
  return data(res).batch_results as Obj[];
}

function errors(message: string): { errors: string[] } {
  return { errors: [message] };
}

/** How Vault reports errors its backends return without a response (500, 404, 405). */
function multierror(message: string): { errors: string[] } {
  return errors(`1 error occurred:\n\t* ${message}\n\n`);
}

function publicKeyOf(type: string, formatted: string): KeyObject {
  if (type === "ed25519") {
    const x = Buffer.from(formatted, "base64").toString("base64url");
    return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
  }
  return createPublicKey(formatted);
}

interface VerifyParams {
  hash?: string;
  marshaling?: string;
  signatureAlgorithm?: string;
  /** A number, or "auto" to accept any salt length. */
  saltLength?: number | "auto";
}

/** Checks a transit signature with node:crypto alone, independent of the server's code. */
function independentVerify(
  type: string,
  publicKey: string,
  message: Buffer,
  signature: string,
  params: VerifyParams = {},
): boolean {
  const match = /^vault:v\d+:(.+)$/.exec(signature);
  const payload = match?.[1] ?? "";
  const jws = params.marshaling === "jws";
  expect(payload).toMatch(jws ? /^[A-Za-z0-9_-]+$/ : /^[A-Za-z0-9+/]+={0,2}$/);
  const sig = Buffer.from(payload, jws ? "base64url" : "base64");
  const key = publicKeyOf(type, publicKey);
  const hash = NODE_HASH[params.hash ?? "sha2-256"] ?? "sha256";
  if (type === "ed25519") {
    return verify(null, message, key, sig);
  }
  if (type.startsWith("ecdsa-")) {
    return verify(hash, message, { key, dsaEncoding: jws ? "ieee-p1363" : "der" }, sig);
  }
  if (params.signatureAlgorithm === "pkcs1v15") {
    return verify(hash, message, { key, padding: constants.RSA_PKCS1_PADDING }, sig);
  }
  const salt = params.saltLength ?? "auto";
  const saltLength = salt === "auto" ? constants.RSA_PSS_SALTLEN_AUTO : salt;
  return verify(hash, message, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, sig);
}

const PEM = /^-----BEGIN PUBLIC KEY-----\n([A-Za-z0-9+/=]{1,64}\n)+-----END PUBLIC KEY-----\n$/;
const RFC3339_NANO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;

let server: TransitServer;

beforeAll(async () => {
  server = await startTransitServer({ port: 0, token: TOKEN });
});

afterAll(async () => {
  await server.close();
});

async function createKey(name: string, type: string): Promise<Obj> {
  const res = await call(server, "POST", `/v1/transit/keys/${name}`, { type });
  expect(res.status).toBe(200);
  return data(res);
}

function publicKeyFrom(key: Obj, version = "1"): string {
  const entry = (key.keys as Record<string, Obj>)[version];
  return String(entry?.public_key);
}

async function sign(name: string, body: Obj, path = `/v1/transit/sign/${name}`) {
  const res = await call(server, "POST", path, body);
  expect(res.status).toBe(200);
  return String(data(res).signature);
}

const TYPES: Array<[string, string, string]> = [
  ["ed25519", "ed25519", "ed25519"],
  ["ecdsa-p256", "P-256", "prime256v1"],
  ["ecdsa-p384", "P-384", "secp384r1"],
  ["ecdsa-p521", "P-521", "secp521r1"],
  ["rsa-2048", "rsa-2048", "2048"],
  ["rsa-3072", "rsa-3072", "3072"],
];

describe.each(TYPES)("%s keys", (type, entryName, detail) => {
  const name = `key-${type}`;
  let publicKey = "";

  it("creates and reads the key with Vault's public key format", async () => {
    const created = await createKey(name, type);
    expect(created).toMatchObject({
      name,
      type,
      latest_version: 1,
      min_decryption_version: 1,
      min_encryption_version: 0,
      min_available_version: 0,
      supports_signing: true,
      supports_derivation: type === "ed25519",
      supports_encryption: type.startsWith("rsa-"),
      deletion_allowed: false,
      derived: false,
      exportable: false,
      imported_key: false,
      auto_rotate_period: 0,
    });
    const read = await call(server, "GET", `/v1/transit/keys/${name}`);
    expect(read.status).toBe(200);
    // The field sets and order of a key read captured from Vault 1.18.5.
    expect(Object.keys(read.body ?? {})).toEqual([
      "request_id",
      "lease_id",
      "renewable",
      "lease_duration",
      "data",
      "wrap_info",
      "warnings",
      "auth",
      "mount_type",
    ]);
    expect(Object.keys(data(read))).toEqual([
      "allow_plaintext_backup",
      "auto_rotate_period",
      "deletion_allowed",
      "derived",
      "exportable",
      "imported_key",
      "keys",
      "latest_version",
      "min_available_version",
      "min_decryption_version",
      "min_encryption_version",
      "name",
      "supports_decryption",
      "supports_derivation",
      "supports_encryption",
      "supports_signing",
      "type",
    ]);
    expect(read.body).toMatchObject({ lease_id: "", renewable: false, mount_type: "transit" });
    const entry = (data(read).keys as Record<string, Obj>)["1"];
    expect(entry).toMatchObject({ name: entryName, certificate_chain: "" });
    expect(String(entry?.creation_time)).toMatch(RFC3339_NANO);
    publicKey = publicKeyFrom(data(read));
    expect(publicKey).toBe(publicKeyFrom(created));
    const key = publicKeyOf(type, publicKey);
    if (type === "ed25519") {
      expect(Buffer.from(publicKey, "base64")).toHaveLength(32);
      expect(Buffer.from(publicKey, "base64").toString("base64")).toBe(publicKey);
    } else {
      expect(publicKey).toMatch(PEM);
      const details = key.asymmetricKeyDetails;
      expect(String(details?.namedCurve ?? details?.modulusLength)).toBe(detail);
    }
  });

  it("signs with the default asn1 marshaling and standard base64", async () => {
    const res = await call(server, "POST", `/v1/transit/sign/${name}`, { input: INPUT });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ warnings: null, wrap_info: null, auth: null });
    expect(data(res)).toEqual({ key_version: 1, signature: expect.stringMatching(/^vault:v1:/) });
    const signature = String(data(res).signature);
    expect(independentVerify(type, publicKey, MESSAGE, signature)).toBe(true);
    expect(independentVerify(type, publicKey, Buffer.from("other"), signature)).toBe(false);
  });

  it("signs with jws marshaling as unpadded base64url", async () => {
    const signature = await sign(name, { input: INPUT, marshaling_algorithm: "jws" });
    const params = { marshaling: "jws" };
    expect(independentVerify(type, publicKey, MESSAGE, signature, params)).toBe(true);
    if (type.startsWith("ecdsa-")) {
      const bytes = Math.ceil(Number(entryName.slice(2)) / 8);
      const raw = Buffer.from(signature.split(":")[2] ?? "", "base64url");
      expect(raw).toHaveLength(2 * bytes);
    }
  });

  it("signs a batch with per-item errors and references", async () => {
    const other = Buffer.from("second").toString("base64");
    const res = await call(server, "POST", `/v1/transit/sign/${name}`, {
      batch_input: [{ input: INPUT, reference: "a" }, { input: other }, { input: "abc!" }],
    });
    expect(res.status).toBe(200);
    const [first, second, bad] = results(res);
    expect(first).toMatchObject({ key_version: 1, reference: "a" });
    expect(second).toMatchObject({ key_version: 1, reference: "" });
    expect(bad).toEqual({
      key_version: 0,
      error: "unable to decode input: illegal base64 data at input byte 3",
      reference: "",
    });
    expect(independentVerify(type, publicKey, MESSAGE, String(first?.signature))).toBe(true);
    const secondSig = String(second?.signature);
    expect(independentVerify(type, publicKey, Buffer.from("second"), secondSig)).toBe(true);
  });

  it("verifies through the verify endpoint, single and batch", async () => {
    const signature = await sign(name, { input: INPUT });
    const ok = await call(server, "POST", `/v1/transit/verify/${name}`, {
      input: INPUT,
      signature,
    });
    expect(ok.status).toBe(200);
    expect(data(ok)).toEqual({ valid: true });
    const tampered = Buffer.from("tampered").toString("base64");
    const bad = await call(server, "POST", `/v1/transit/verify/${name}`, {
      input: tampered,
      signature,
    });
    expect(data(bad)).toEqual({ valid: false });
    const batch = await call(server, "POST", `/v1/transit/verify/${name}`, {
      batch_input: [
        { input: INPUT, signature, reference: "good" },
        { input: tampered, signature },
      ],
    });
    expect(results(batch)).toEqual([
      { valid: true, reference: "good" },
      { valid: false, reference: "" },
    ]);
  });
});

describe("rsa-4096 keys", () => {
  it("signs with PSS at the maximum salt length by default", async () => {
    const key = await createKey("key-rsa-4096", "rsa-4096");
    const signature = await sign("key-rsa-4096", { input: INPUT });
    const publicKey = publicKeyFrom(key);
    const params = { saltLength: 512 - 2 - 32 };
    expect(independentVerify("rsa-4096", publicKey, MESSAGE, signature, params)).toBe(true);
  });
});

describe("RSA options", () => {
  let publicKey = "";
  const check = (signature: string, params: VerifyParams, message = MESSAGE) =>
    independentVerify("rsa-2048", publicKey, message, signature, params);

  beforeAll(async () => {
    publicKey = publicKeyFrom(await createKey("rsa-options", "rsa-2048"));
  });

  it("uses salt length 222 for auto and the hash length for 'hash'", async () => {
    const auto = await sign("rsa-options", { input: INPUT, salt_length: "auto" });
    expect(check(auto, { saltLength: 222 })).toBe(true);
    expect(check(auto, { saltLength: 32 })).toBe(false);
    const hash = await sign("rsa-options", { input: INPUT, salt_length: "hash" });
    expect(check(hash, { saltLength: 32 })).toBe(true);
    expect(check(hash, { saltLength: 222 })).toBe(false);
  });

  it("accepts numeric salt lengths as strings or numbers", async () => {
    expect(
      check(await sign("rsa-options", { input: INPUT, salt_length: "64" }), { saltLength: 64 }),
    ).toBe(true);
    expect(
      check(await sign("rsa-options", { input: INPUT, salt_length: 20 }), { saltLength: 20 }),
    ).toBe(true);
  });

  it("verifies any salt length when salt_length is auto", async () => {
    const signature = await sign("rsa-options", { input: INPUT, salt_length: "hash" });
    const res = await call(server, "POST", "/v1/transit/verify/rsa-options", {
      input: INPUT,
      signature,
    });
    expect(data(res)).toEqual({ valid: true });
    const strict = await call(server, "POST", "/v1/transit/verify/rsa-options", {
      input: INPUT,
      signature,
      salt_length: "222",
    });
    expect(data(strict)).toEqual({ valid: false });
  });

  it("rejects salt lengths as Vault does", async () => {
    const tooBig = await call(server, "POST", "/v1/transit/sign/rsa-options", {
      input: INPUT,
      salt_length: 223,
    });
    expect(tooBig.status).toBe(500);
    expect(tooBig.body).toEqual(multierror("requested salt length 223 is invalid"));
    const batch = await call(server, "POST", "/v1/transit/sign/rsa-options", {
      salt_length: 223,
      batch_input: [{ input: INPUT }],
    });
    expect(batch.status).toBe(200);
    expect(results(batch)).toEqual([
      { key_version: 0, error: "requested salt length 223 is invalid", reference: "" },
    ]);
    const verifyTooBig = await call(server, "POST", "/v1/transit/verify/rsa-options", {
      input: INPUT,
      signature: "vault:v1:AAAA",
      salt_length: 223,
    });
    expect(verifyTooBig.status).toBe(400);
    expect(verifyTooBig.body).toEqual(errors("requested salt length 223 is invalid"));
    const word = await call(server, "POST", "/v1/transit/sign/rsa-options", {
      input: INPUT,
      salt_length: "lots",
    });
    expect(word.status).toBe(400);
    expect(word.body).toEqual(errors("salt length neither 'auto', 'hash', nor an int: lots"));
  });

  it("signs PKCS#1 v1.5 and verifies it only with that algorithm", async () => {
    const params = { signature_algorithm: "pkcs1v15" };
    const signature = await sign("rsa-options", { input: INPUT, ...params });
    expect(check(signature, { signatureAlgorithm: "pkcs1v15" })).toBe(true);
    const path = "/v1/transit/verify/rsa-options";
    const ok = await call(server, "POST", path, { input: INPUT, signature, ...params });
    expect(data(ok)).toEqual({ valid: true });
    const asPss = await call(server, "POST", path, { input: INPUT, signature });
    expect(data(asPss)).toEqual({ valid: false });
  });

  it.each(["sha1", "sha2-224", "sha2-384", "sha2-512", "sha3-256"])(
    "hashes with %s from the body or the URL",
    async (hash) => {
      const body = await sign("rsa-options", { input: INPUT, hash_algorithm: hash });
      expect(check(body, { hash })).toBe(true);
      const url = await sign(
        "rsa-options",
        { input: INPUT },
        `/v1/transit/sign/rsa-options/${hash}`,
      );
      expect(check(url, { hash, saltLength: "auto" })).toBe(true);
      const pkcs = await sign("rsa-options", {
        input: INPUT,
        hash_algorithm: hash,
        signature_algorithm: "pkcs1v15",
      });
      expect(check(pkcs, { hash, signatureAlgorithm: "pkcs1v15" })).toBe(true);
    },
  );

  it("signs prehashed digests", async () => {
    const digest = createHash("sha384").update(MESSAGE).digest().toString("base64");
    const base = { input: digest, prehashed: true, hash_algorithm: "sha2-384" };
    expect(check(await sign("rsa-options", base), { hash: "sha2-384" })).toBe(true);
    const pkcs = await sign("rsa-options", { ...base, signature_algorithm: "pkcs1v15" });
    expect(check(pkcs, { hash: "sha2-384", signatureAlgorithm: "pkcs1v15" })).toBe(true);
    const wrongSize = await call(server, "POST", "/v1/transit/sign/rsa-options", {
      ...base,
      hash_algorithm: "sha2-256",
    });
    expect(wrongSize.status).toBe(500);
    expect(wrongSize.body).toEqual(multierror("crypto/rsa: input must be hashed with given hash"));
  });

  it("signs raw input with hash_algorithm none", async () => {
    const raw = Buffer.from("raw-bytes-to-sign");
    const signature = await sign("rsa-options", {
      input: raw.toString("base64"),
      hash_algorithm: "none",
      prehashed: true,
      signature_algorithm: "pkcs1v15",
    });
    const bytes = Buffer.from(signature.split(":")[2] ?? "", "base64");
    expect(publicDecrypt(publicKeyOf("rsa-2048", publicKey), bytes)).toEqual(raw);
    const refused = await call(server, "POST", "/v1/transit/sign/rsa-options", {
      input: INPUT,
      hash_algorithm: "none",
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual(
      errors("hash_algorithm=none requires both prehashed=true and signature_algorithm=pkcs1v15"),
    );
  });
});

describe("ECDSA options", () => {
  it("signs prehashed digests, truncating long digests to the curve order", async () => {
    const p256 = publicKeyFrom(await createKey("ec-pre-256", "ecdsa-p256"));
    const digest = createHash("sha256").update(MESSAGE).digest().toString("base64");
    const signature = await sign("ec-pre-256", { input: digest, prehashed: true });
    expect(independentVerify("ecdsa-p256", p256, MESSAGE, signature)).toBe(true);
    const verified = await call(server, "POST", "/v1/transit/verify/ec-pre-256", {
      input: digest,
      prehashed: true,
      signature,
    });
    expect(data(verified)).toEqual({ valid: true });
    const p384 = publicKeyFrom(await createKey("ec-pre-384", "ecdsa-p384"));
    const long = await sign("ec-pre-384", { input: INPUT, hash_algorithm: "sha2-512" });
    expect(independentVerify("ecdsa-p384", p384, MESSAGE, long, { hash: "sha2-512" })).toBe(true);
  });

  it("rejects malformed signatures with Vault's messages", async () => {
    const signature = await sign("ec-pre-256", { input: INPUT });
    const der = Buffer.from(signature.split(":")[2] ?? "", "base64");
    const cases: Array<[string, number, unknown]> = [
      [`vault:v1:${Buffer.from([0x30, 0x01]).toString("base64")}`, 400, "invalid"],
      [`vault:v1:${Buffer.concat([der, Buffer.from([0])]).toString("base64")}`, 400, "extra"],
      ["vault:v1:***", 400, "base64"],
      ["v1:abc", 400, "prefix"],
    ];
    const messages: Record<string, string> = {
      invalid: "supplied signature is invalid",
      extra: "supplied signature contains extra data",
      base64: "invalid base64 signature value",
      prefix: "invalid signature: no prefix",
    };
    for (const [sig, status, kind] of cases) {
      const res = await call(server, "POST", "/v1/transit/verify/ec-pre-256", {
        input: INPUT,
        signature: sig,
      });
      expect(res.status).toBe(status);
      expect(res.body).toEqual(errors(messages[String(kind)] ?? ""));
    }
  });
});

describe("Ed25519 options", () => {
  it("signs the message itself whatever hash_algorithm says", async () => {
    const publicKey = publicKeyFrom(await createKey("ed-options", "ed25519"));
    const signature = await sign("ed-options", { input: INPUT, hash_algorithm: "sha2-384" });
    expect(independentVerify("ed25519", publicKey, MESSAGE, signature)).toBe(true);
  });

  it("refuses Ed25519ph like Vault Community Edition", async () => {
    const only = "failed to parse batch item: only Pure Ed25519 signatures supported";
    const prehashed = await call(server, "POST", "/v1/transit/sign/ed-options", {
      input: INPUT,
      prehashed: true,
    });
    expect(prehashed.status).toBe(400);
    expect(prehashed.body).toEqual(errors(`${only}, prehashed must be false`));
    const sha512 = await call(server, "POST", "/v1/transit/sign/ed-options/sha2-512", {
      input: INPUT,
    });
    expect(sha512.body).toEqual(errors(`${only}, hash_alogithm should not be set`));
  });
});

interface Vector {
  id: string;
  key_type: string;
  public_key: string;
  input_b64: string;
  params: Record<string, string>;
  signature: string;
}

describe("signatures captured from real Vault", () => {
  const fixture = JSON.parse(
    readFileSync(new URL("../fixtures/vault-vectors.json", import.meta.url), "utf8"),
  ) as { vectors: Vector[] };

  it.each(fixture.vectors.map((v) => [v.id, v] as const))(
    "%s verifies with the same independent checks",
    (_id, vector) => {
      const message = Buffer.from(vector.input_b64, "base64");
      const params: VerifyParams = {
        hash: vector.params.hash_algorithm ?? "sha2-256",
        marshaling: vector.params.marshaling_algorithm ?? "asn1",
      };
      const { key_type: type, public_key: key, signature } = vector;
      expect(independentVerify(type, key, message, signature, params)).toBe(true);
      if (type.startsWith("rsa-")) {
        // Vault's "auto" salt is the maximum salt length, as this server produces.
        const bits = Number(type.slice(4));
        const max = { ...params, saltLength: bits / 8 - 2 - 32 };
        expect(independentVerify(type, key, message, signature, max)).toBe(true);
      }
    },
  );
});

describe("rotation and key versions", () => {
  let v1Signature = "";

  it("rotates to a new version and signs with the latest by default", async () => {
    await createKey("rotating", "ed25519");
    v1Signature = await sign("rotating", { input: INPUT });
    const rotated = await call(server, "POST", "/v1/transit/keys/rotating/rotate");
    expect(rotated.status).toBe(200);
    expect(data(rotated)).toMatchObject({ latest_version: 2, min_decryption_version: 1 });
    expect(Object.keys(data(rotated).keys as Obj)).toEqual(["1", "2"]);
    const latest = await call(server, "POST", "/v1/transit/sign/rotating", { input: INPUT });
    expect(data(latest)).toMatchObject({ key_version: 2 });
    const signature = String(data(latest).signature);
    expect(signature.startsWith("vault:v2:")).toBe(true);
    const v2Key = publicKeyFrom(data(rotated), "2");
    expect(independentVerify("ed25519", v2Key, MESSAGE, signature)).toBe(true);
    const old = await call(server, "POST", "/v1/transit/sign/rotating", {
      input: INPUT,
      key_version: 1,
    });
    expect(data(old)).toMatchObject({ key_version: 1 });
    expect(String(data(old).signature).startsWith("vault:v1:")).toBe(true);
  });

  it("reports out-of-range key versions the way Vault does", async () => {
    const higher = "requested version for signing is higher than the latest key version";
    const tooNew = await call(server, "POST", "/v1/transit/sign/rotating", {
      input: INPUT,
      key_version: 3,
    });
    expect(tooNew.status).toBe(500);
    expect(tooNew.body).toEqual(multierror(higher));
    const negative = await call(server, "POST", "/v1/transit/sign/rotating", {
      input: INPUT,
      key_version: "-1",
    });
    expect(negative.status).toBe(500);
    expect(negative.body).toEqual(multierror("requested version for signing is negative"));
    const batch = await call(server, "POST", "/v1/transit/sign/rotating", {
      key_version: 3,
      batch_input: [{ input: INPUT, reference: "r" }],
    });
    expect(batch.status).toBe(200);
    expect(results(batch)).toEqual([{ key_version: 0, error: higher, reference: "r" }]);
    const future = v1Signature.replace("vault:v1:", "vault:v3:");
    const verified = await call(server, "POST", "/v1/transit/verify/rotating", {
      input: INPUT,
      signature: future,
    });
    expect(verified.status).toBe(400);
    expect(verified.body).toEqual(errors("invalid signature: version is too new"));
    const missing = await call(server, "POST", "/v1/transit/keys/absent/rotate");
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual(errors("key not found"));
  });

  it("enforces min_encryption_version and min_decryption_version", async () => {
    const path = "/v1/transit/keys/rotating/config";
    const enc = await call(server, "POST", path, { min_encryption_version: 2 });
    expect(enc.status).toBe(200);
    expect(data(enc)).toMatchObject({ min_encryption_version: 2 });
    const old = await call(server, "POST", "/v1/transit/sign/rotating", {
      input: INPUT,
      key_version: 1,
    });
    expect(old.status).toBe(500);
    expect(old.body).toEqual(
      multierror("requested version for signing is less than the minimum encryption key version"),
    );
    const dec = await call(server, "POST", path, { min_decryption_version: 2 });
    expect(data(dec)).toMatchObject({ min_decryption_version: 2 });
    expect(Object.keys(data(dec).keys as Obj)).toEqual(["2"]);
    const tooOld = await call(server, "POST", "/v1/transit/verify/rotating", {
      input: INPUT,
      signature: v1Signature,
    });
    expect(tooOld.status).toBe(400);
    expect(tooOld.body).toEqual(
      errors("ciphertext or signature version is disallowed by policy (too old)"),
    );
    const restored = await call(server, "POST", path, { min_decryption_version: 1 });
    expect(Object.keys(data(restored).keys as Obj)).toEqual(["1", "2"]);
  });

  it("validates config like Vault and leaves the key unchanged on error", async () => {
    const path = "/v1/transit/keys/rotating/config";
    await call(server, "POST", path, { min_decryption_version: 2 });
    const crossed = await call(server, "POST", path, { min_encryption_version: 1 });
    expect(crossed.status).toBe(400);
    expect(crossed.body).toEqual(
      errors(
        "cannot set min encryption/decryption values; min encryption version of 1 must be " +
          "greater than or equal to min decryption version of 2",
      ),
    );
    const beyond = await call(server, "POST", path, { min_decryption_version: 5 });
    expect(beyond.body).toEqual(
      errors("cannot set min decryption version of 5, latest key version is 2"),
    );
    const read = await call(server, "GET", "/v1/transit/keys/rotating");
    expect(data(read)).toMatchObject({ min_decryption_version: 2, min_encryption_version: 2 });
    const zero = await call(server, "POST", path, { min_decryption_version: 0 });
    expect(zero.status).toBe(200);
    expect(zero.body?.warnings).toEqual([
      "since Vault 0.3, transit key numbering starts at 1; forcing minimum to 1",
    ]);
    const absent = await call(server, "POST", "/v1/transit/keys/absent/config", {});
    expect(absent.body).toEqual(errors("no existing key named absent could be found"));
  });

  it("deletes only when deletion_allowed is set", async () => {
    const refused = await call(server, "DELETE", "/v1/transit/keys/rotating");
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual(
      errors("error deleting policy rotating: deletion is not allowed for this policy"),
    );
    await call(server, "POST", "/v1/transit/keys/rotating/config", { deletion_allowed: true });
    const deleted = await call(server, "DELETE", "/v1/transit/keys/rotating");
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe("");
    const gone = await call(server, "GET", "/v1/transit/keys/rotating");
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({ errors: [] });
    const again = await call(server, "DELETE", "/v1/transit/keys/rotating");
    expect(again.body).toEqual(
      errors("error deleting policy rotating: could not delete policy; not found"),
    );
  });
});

describe("request errors", () => {
  it("requires the root token, from X-Vault-Token or a bearer header", async () => {
    const path = "/v1/transit/keys/key-ed25519";
    const none = await call(server, "GET", path, undefined, {});
    expect(none.status).toBe(403);
    expect(none.body).toEqual(errors("permission denied"));
    const wrong = await call(server, "GET", path, undefined, { "X-Vault-Token": "nope" });
    expect(wrong.status).toBe(403);
    const bearer = await call(server, "GET", path, undefined, { Authorization: `Bearer ${TOKEN}` });
    expect(bearer.status).toBe(200);
  });

  it("answers 404 with an empty error list for a missing key", async () => {
    const res = await call(server, "GET", "/v1/transit/keys/does-not-exist");
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ errors: [] });
  });

  it("rejects bad parameters with 400 and Vault's messages", async () => {
    const cases: Array<[string, Obj, string]> = [
      [
        "sign/key-ed25519",
        { input: "abc!" },
        "unable to decode input: illegal base64 data at input byte 3",
      ],
      [
        "sign/key-ed25519",
        { input: "aGVsbG8" },
        "unable to decode input: illegal base64 data at input byte 4",
      ],
      [
        "sign/key-ecdsa-p256",
        { input: INPUT, hash_algorithm: "md5" },
        'invalid hash algorithm "md5"',
      ],
      [
        "sign/key-ecdsa-p256",
        { input: INPUT, marshaling_algorithm: "pem" },
        'invalid marshaling type "pem"',
      ],
      ["sign/nope", { input: INPUT }, "signing key not found"],
      [
        "verify/nope",
        { input: INPUT, signature: "vault:v1:x" },
        "signature verification key not found",
      ],
      [
        "verify/key-ed25519",
        { input: INPUT },
        "missing one of 'signature', 'hmac' or 'cmac' arguments to verify",
      ],
      ["keys/new-key", { type: "rsa-1024" }, "unknown key type rsa-1024"],
      [
        "keys/new-key",
        { type: "ed25519", auto_rotate_period: "10m" },
        "auto rotate period must be 0 to disable or at least an hour",
      ],
      ["sign/key-ed25519", { batch_input: [] }, "missing batch input to process"],
    ];
    for (const [path, body, message] of cases) {
      const res = await call(server, "POST", `/v1/transit/${path}`, body);
      expect([path, res.status, res.body]).toEqual([path, 400, errors(message)]);
    }
    const json = await call(server, "POST", "/v1/transit/sign/key-ed25519", "{not json");
    expect(json.status).toBe(400);
    expect(json.body).toEqual(errors(expect.stringMatching(/^failed to parse JSON input: /)));
  });

  it("creates non-signing types like Vault but refuses to sign with them", async () => {
    const created = await call(server, "POST", "/v1/transit/keys/symmetric");
    expect(created.status).toBe(200);
    expect(data(created)).toMatchObject({
      type: "aes256-gcm96",
      supports_signing: false,
      supports_encryption: true,
    });
    expect(typeof (data(created).keys as Obj)["1"]).toBe("number");
    const res = await call(server, "POST", "/v1/transit/sign/symmetric", { input: INPUT });
    expect(res.status).toBe(400);
    expect(res.body).toEqual(errors("key type aes256-gcm96 does not support signing"));
  });

  it("treats creating an existing key as a no-op with a warning", async () => {
    const before = await call(server, "GET", "/v1/transit/keys/key-ecdsa-p256");
    const again = await call(server, "POST", "/v1/transit/keys/key-ecdsa-p256", {
      type: "rsa-2048",
    });
    expect(again.status).toBe(200);
    expect(again.body?.warnings).toEqual(["key key-ecdsa-p256 already existed"]);
    expect(data(again)).toEqual(data(before));
  });

  it("warns about unrecognised parameters", async () => {
    const res = await call(server, "POST", "/v1/transit/sign/key-ed25519", {
      input: INPUT,
      zz: 1,
      aa: 2,
    });
    expect(res.body?.warnings).toEqual(["Endpoint ignored these unrecognized parameters: [aa zz]"]);
  });

  it("answers unsupported methods and paths like Vault", async () => {
    const get = await call(server, "GET", "/v1/transit/sign/key-ed25519");
    expect(get.status).toBe(405);
    expect(get.body).toEqual(multierror("unsupported operation"));
    const patch = await call(server, "PATCH", "/v1/transit/keys/key-ed25519", {});
    expect(patch.status).toBe(405);
    const path = await call(server, "POST", "/v1/transit/export/signing-key/key-ed25519");
    expect(path.status).toBe(404);
    expect(path.body).toEqual(multierror("unsupported path"));
    const route = await call(server, "GET", "/v1/secret/data/x");
    expect(route.status).toBe(404);
    expect(route.body).toEqual(
      errors('no handler for route "secret/data/x". route entry not found.'),
    );
  });
});

describe("listing", () => {
  it("lists with the LIST method and with ?list=true", async () => {
    const viaList = await call(server, "LIST", "/v1/transit/keys");
    expect(viaList.status).toBe(200);
    const keys = data(viaList).keys as string[];
    expect(keys).toContain("key-ed25519");
    expect([...keys].sort()).toEqual(keys);
    const viaQuery = await call(server, "GET", "/v1/transit/keys?list=true");
    expect(data(viaQuery)).toEqual({ keys });
    const plain = await call(server, "GET", "/v1/transit/keys");
    expect(plain.status).toBe(405);
  });
});

describe("mounts and namespaces", () => {
  it("enables extra transit mounts like `vault secrets enable`", async () => {
    const enabled = await call(server, "POST", "/v1/sys/mounts/team/transit", { type: "transit" });
    expect(enabled.status).toBe(204);
    const twice = await call(server, "POST", "/v1/sys/mounts/team/transit", { type: "transit" });
    expect(twice.status).toBe(400);
    expect(twice.body).toEqual(errors("path is already in use at team/transit/"));
    const builtin = await call(server, "POST", "/v1/sys/mounts/transit", { type: "transit" });
    expect(builtin.body).toEqual(errors("path is already in use at transit/"));
    const empty = await call(server, "LIST", "/v1/team/transit/keys");
    expect(empty.status).toBe(404);
    expect(empty.body).toEqual({ errors: [] });
    await call(server, "POST", "/v1/team/transit/keys/team-key", { type: "ecdsa-p256" });
    const listed = await call(server, "LIST", "/v1/team/transit/keys");
    expect(data(listed)).toEqual({ keys: ["team-key"] });
    const mounts = await call(server, "GET", "/v1/sys/mounts");
    expect(data(mounts)["team/transit/"]).toMatchObject({ type: "transit" });
    expect((await call(server, "DELETE", "/v1/sys/mounts/team/transit")).status).toBe(204);
    expect((await call(server, "LIST", "/v1/team/transit/keys")).status).toBe(404);
    const kv = await call(server, "POST", "/v1/sys/mounts/kv", { type: "kv" });
    expect(kv.status).toBe(400);
  });

  it("keeps keys per namespace", async () => {
    const ns = { "X-Vault-Token": TOKEN, "X-Vault-Namespace": "tenant-a/" };
    const created = await call(server, "POST", "/v1/transit/keys/ns-key", { type: "ed25519" }, ns);
    expect(created.status).toBe(200);
    expect((await call(server, "GET", "/v1/transit/keys/ns-key", undefined, ns)).status).toBe(200);
    expect((await call(server, "GET", "/v1/transit/keys/ns-key")).status).toBe(404);
  });
});

describe("health, sealing, standby and latency", () => {
  afterAll(() => {
    server.setSealed(false);
    server.setStandby(false);
    server.setLatency(0);
  });

  it("reports an active, unsealed node", async () => {
    const res = await call(server, "GET", "/v1/sys/health", undefined, {});
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      initialized: true,
      sealed: false,
      standby: false,
      performance_standby: false,
      replication_performance_mode: "disabled",
      replication_dr_mode: "disabled",
      version: expect.any(String),
      cluster_name: expect.any(String),
      cluster_id: expect.any(String),
      server_time_utc: expect.any(Number),
    });
  });

  it("answers 503 everywhere while sealed", async () => {
    server.setSealed(true);
    const health = await call(server, "GET", "/v1/sys/health", undefined, {});
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ sealed: true, initialized: true });
    expect(health.body).not.toHaveProperty("cluster_name");
    const custom = await call(server, "GET", "/v1/sys/health?sealedcode=200", undefined, {});
    expect(custom.status).toBe(200);
    const head = await fetch(`${server.url}/v1/sys/health`, { method: "HEAD" });
    expect(head.status).toBe(503);
    for (const headers of [{ "X-Vault-Token": TOKEN }, {}]) {
      const res = await call(
        server,
        "POST",
        "/v1/transit/sign/key-ed25519",
        { input: INPUT },
        headers,
      );
      expect(res.status).toBe(503);
      expect(res.body).toEqual(errors("Vault is sealed"));
    }
    const status = await call(server, "GET", "/v1/sys/seal-status", undefined, {});
    expect(status.body).toMatchObject({ sealed: true });
    server.setSealed(false);
    expect((await call(server, "GET", "/v1/sys/health", undefined, {})).status).toBe(200);
  });

  it("exposes token-protected dev controls over HTTP", async () => {
    const anonymous = await call(server, "POST", "/__dev/seal", undefined, {});
    expect(anonymous.status).toBe(403);
    expect((await call(server, "POST", "/__dev/seal")).status).toBe(204);
    expect((await call(server, "GET", "/v1/sys/health", undefined, {})).status).toBe(503);
    expect((await call(server, "POST", "/__dev/unseal")).status).toBe(204);
    expect((await call(server, "GET", "/v1/sys/health", undefined, {})).status).toBe(200);
    const sealed = await call(server, "PUT", "/v1/sys/seal");
    expect(sealed.status).toBe(204);
    expect((await call(server, "GET", "/__dev/state")).body).toEqual({
      sealed: true,
      standby: false,
      latency_ms: 0,
    });
    await call(server, "POST", "/__dev/unseal");
  });

  it("reports standby with Vault's status codes and query parameters", async () => {
    server.setStandby(true);
    const plain = await call(server, "GET", "/v1/sys/health", undefined, {});
    expect(plain.status).toBe(429);
    expect(plain.body).toMatchObject({ standby: true, sealed: false });
    const ok = await call(server, "GET", "/v1/sys/health?standbyok=true", undefined, {});
    expect(ok.status).toBe(200);
    const code = await call(server, "GET", "/v1/sys/health?standbycode=472", undefined, {});
    expect(code.status).toBe(472);
    const bad = await call(server, "GET", "/v1/sys/health?standbyok=maybe", undefined, {});
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ errors: [] });
    expect((await call(server, "POST", "/__dev/standby", { standby: false })).status).toBe(204);
    expect((await call(server, "GET", "/v1/sys/health", undefined, {})).status).toBe(200);
  });

  it("delays responses so client timeouts can be exercised", async () => {
    server.setLatency(400);
    const started = Date.now();
    await expect(
      call(server, "GET", "/v1/sys/health", undefined, {}, AbortSignal.timeout(100)),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(350);
    const slow = await call(server, "GET", "/v1/sys/health", undefined, {});
    expect(slow.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    const control = Date.now();
    expect((await call(server, "POST", "/__dev/latency", { ms: 0 })).status).toBe(204);
    expect(Date.now() - control).toBeLessThan(300);
    const fast = Date.now();
    await call(server, "GET", "/v1/sys/health", undefined, {});
    expect(Date.now() - fast).toBeLessThan(300);
  });
});

describe("state file", () => {
  it("persists keys across restarts with atomic writes", async () => {
    const dir = await mkdtemp(join(tmpdir(), "transit-state-"));
    const stateFile = join(dir, "transit.json");
    try {
      const first = await startTransitServer({ port: 0, token: TOKEN, stateFile });
      const before: Record<string, Obj> = {};
      const signatures: Record<string, string> = {};
      for (const [name, type] of [
        ["persisted-ed", "ed25519"],
        ["persisted-ec", "ecdsa-p384"],
        ["persisted-aes", "aes128-gcm96"],
      ]) {
        await call(first, "POST", `/v1/transit/keys/${name}`, { type });
      }
      await call(first, "POST", "/v1/transit/keys/persisted-ec/rotate");
      await call(first, "POST", "/v1/transit/keys/persisted-ec/config", {
        min_encryption_version: 2,
        deletion_allowed: true,
      });
      for (const name of ["persisted-ed", "persisted-ec"]) {
        before[name] = data(await call(first, "GET", `/v1/transit/keys/${name}`));
        signatures[name] = String(
          data(await call(first, "POST", `/v1/transit/sign/${name}`, { input: INPUT })).signature,
        );
      }
      await first.close();

      expect(await readdir(dir)).toEqual(["transit.json"]);
      const saved = JSON.parse(await readFile(stateFile, "utf8")) as Obj;
      expect(saved.format).toBe(1);
      expect(await readFile(stateFile, "utf8")).toContain("-----BEGIN PRIVATE KEY-----");

      const second = await startTransitServer({ port: 0, token: TOKEN, stateFile });
      try {
        for (const name of ["persisted-ed", "persisted-ec"]) {
          const read = await call(second, "GET", `/v1/transit/keys/${name}`);
          expect(data(read)).toEqual(before[name]);
          const verified = await call(second, "POST", `/v1/transit/verify/${name}`, {
            input: INPUT,
            signature: signatures[name],
          });
          expect(data(verified)).toEqual({ valid: true });
        }
        const aes = await call(second, "GET", "/v1/transit/keys/persisted-aes");
        expect(data(aes)).toMatchObject({ type: "aes128-gcm96", latest_version: 1 });
      } finally {
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("lifecycle", () => {
  it("picks free ports and closes with idle and in-flight connections", async () => {
    const a = await startTransitServer({ port: 0 });
    const b = await startTransitServer({ port: 0 });
    expect(a.port).not.toBe(b.port);
    expect(a.rootToken).toMatch(/^hvs\./);
    await call(a, "GET", "/v1/sys/health", undefined, {});
    a.setLatency(10_000);
    const pending = call(a, "GET", "/v1/sys/health", undefined, {}).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await Promise.all([a.close(), b.close()]);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await pending).toBeInstanceOf(Error);
    await expect(fetch(`${a.url}/v1/sys/health`)).rejects.toThrow();
  });
});

describe("command line", () => {
  it("prints one JSON line when ready and exits cleanly on SIGTERM", async () => {
    const script = fileURLToPath(new URL("../../scripts/transit/server.ts", import.meta.url));
    const child = spawn(process.execPath, [script, "--port", "0", "--token", "cli-token"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString("utf8");
          if (out.includes("\n")) {
            resolve(out);
          }
        });
        child.on("exit", () => reject(new Error(`exited before ready: ${out}`)));
      });
      expect(line.endsWith("\n")).toBe(true);
      const ready = JSON.parse(line) as { msg: string; url: string };
      expect(ready).toEqual({ msg: "transit listening", url: expect.stringMatching(/^http:/) });
      const res = await fetch(`${ready.url}/v1/transit/keys?list=true`, {
        headers: { "X-Vault-Token": "cli-token" },
      });
      expect(res.status).toBe(404);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  });
});

describe("helpers", () => {
  it("rewrites LIST only at request starts, across chunk boundaries", () => {
    const rewrite = createListRewriter();
    const post = "POST /v1/x HTTP/1.1\r\nContent-Length: 12\r\n\r\nLIST /v1/abc";
    const list = "LIST /v1/transit/keys HTTP/1.1\r\nHost: x\r\n\r\n";
    const stream = Buffer.from(post + list);
    const out = Buffer.concat([
      rewrite(stream.subarray(0, 3)),
      rewrite(stream.subarray(3, 50)),
      rewrite(stream.subarray(50, 58)),
      rewrite(stream.subarray(58, 60)),
      rewrite(stream.subarray(60)),
    ]).toString("latin1");
    expect(out).toBe(post + list.replace("LIST", "LINK"));
  });

  it("decodes base64 strictly with Go's error offsets", () => {
    expect(decodeStdBase64("aGVsbG8=").toString()).toBe("hello");
    expect(decodeStdBase64("").length).toBe(0);
    const offset = (s: string) => {
      try {
        decodeStdBase64(s);
        return -1;
      } catch (e) {
        return Number(/byte (\d+)$/.exec((e as Error).message)?.[1]);
      }
    };
    expect(offset("aGVsbG8")).toBe(4);
    expect(offset("ab=c")).toBe(2);
    expect(offset("a===")).toBe(1);
    expect(offset("aGVsbG8=x")).toBe(8);
    expect(offset("aGV-bG8=")).toBe(3);
  });
});
