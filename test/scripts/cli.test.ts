import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { firstVector, type VaultVector, VECTOR_CASES } from "../fixtures/vault-vectors.ts";
import { expectUsageFailure, firstStderrLine, runCli } from "./run-cli.ts";

function vectorArgs(vector: VaultVector, overrides: { signature?: string; publicKey?: string }) {
  const args = [
    "verify-signature",
    "--key-type",
    vector.key_type,
    "--public-key",
    overrides.publicKey ?? vector.public_key,
    "--input",
    vector.input_b64,
    "--signature",
    overrides.signature ?? vector.signature,
  ];
  const { params } = vector;
  const optional: [string, string | undefined][] = [
    ["--hash-algorithm", params.hash_algorithm],
    ["--signature-algorithm", params.signature_algorithm],
    ["--marshaling-algorithm", params.marshaling_algorithm],
    ["--salt-length", params.salt_length],
  ];
  for (const [flag, value] of optional) {
    if (value !== undefined) {
      args.push(flag, value);
    }
  }
  return args;
}

// Changes one payload character to another of the same alphabet, far enough in to land in
// the signature value rather than in a DER header, so the string stays well-formed.
function tamper(signature: string): string {
  const index = signature.lastIndexOf(":") + 1 + 12;
  const replacement = signature[index] === "A" ? "B" : "A";
  return signature.slice(0, index) + replacement + signature.slice(index + 1);
}

describe("verify-signature", () => {
  it.each(VECTOR_CASES)("accepts the Vault vector %s", async (_, vector) => {
    const result = await runCli(vectorArgs(vector, {}));
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe('{"valid":true}\n');
    expect(result.code).toBe(0);
  });

  it.each(VECTOR_CASES)("rejects a tampered signature for %s", async (_, vector) => {
    const result = await runCli(vectorArgs(vector, { signature: tamper(vector.signature) }));
    expect(result.stdout).toBe('{"valid":false}\n');
    expect(result.code).toBe(1);
  });

  it("rejects a signature over other input", async () => {
    const args = vectorArgs(firstVector(), {});
    args[args.indexOf("--input") + 1] = "b3RoZXIgaW5wdXQ=";
    const result = await runCli(args);
    expect(result.stdout).toBe('{"valid":false}\n');
    expect(result.code).toBe(1);
  });

  it("rejects a signature labelled with another key version when one is pinned", async () => {
    const vector = firstVector("ed25519");
    const relabelled = vector.signature.replace(/^vault:v1:/, "vault:v2:");
    const pinned = await runCli([
      ...vectorArgs(vector, { signature: relabelled }),
      "--key-version",
      "1",
    ]);
    expect(pinned.stdout).toBe('{"valid":false}\n');
    expect(pinned.code).toBe(1);
    const matching = await runCli([...vectorArgs(vector, {}), "--key-version", "1"]);
    expect(matching.code).toBe(0);
  });

  describe("@file public keys", () => {
    let dir = "";
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "cli-test-"));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it.each(VECTOR_CASES)("reads the key of %s from a file", async (_, vector) => {
      const path = join(dir, `${vector.id}.key`);
      // Files usually end with a newline even where Vault's value does not.
      await writeFile(
        path,
        vector.public_key.endsWith("\n") ? vector.public_key : `${vector.public_key}\n`,
      );
      const result = await runCli(vectorArgs(vector, { publicKey: `@${path}` }));
      expect(result.stdout).toBe('{"valid":true}\n');
      expect(result.code).toBe(0);
    });

    it("exits 2 when the file cannot be read", async () => {
      const missing = join(dir, "missing.pem");
      const result = await runCli(vectorArgs(firstVector(), { publicKey: `@${missing}` }));
      expectUsageFailure(result, /cannot read --public-key file/);
    });
  });

  describe("bad usage exits 2", () => {
    const base = vectorArgs(firstVector("ecdsa-p256"), {});
    const without = (flag: string) => {
      const index = base.indexOf(flag);
      return [...base.slice(0, index), ...base.slice(index + 2)];
    };
    const withValue = (flag: string, value: string) => {
      const index = base.indexOf(flag);
      return index < 0
        ? [...base, flag, value]
        : [...base.slice(0, index + 1), value, ...base.slice(index + 2)];
    };

    it.each([
      ["a missing --signature", without("--signature"), /missing required flag --signature/],
      ["a missing --key-type", without("--key-type"), /missing required flag --key-type/],
      ["a missing --public-key", without("--public-key"), /--public-key/],
      ["a missing --input", without("--input"), /--input/],
      ["an unknown key type", withValue("--key-type", "aes256-gcm96"), /--key-type must be/],
      ["an unknown flag", [...base, "--colour", "red"], /colour/],
      ["a stray positional argument", [...base, "extra"], /extra/],
      ["input that is not base64", withValue("--input", "not base64!"), /--input is not base64/],
      ["a signature without prefix", withValue("--signature", "foo"), /vault:v/],
      ["a signature with key version 0", withValue("--signature", "vault:v0:AAAA"), /version/],
      ["a signature with key version x", withValue("--signature", "vault:vx:AAAA"), /version/],
      ["a signature with bad base64", withValue("--signature", "vault:v1:!!!!"), /base64/],
      ["an unsupported hash", withValue("--hash-algorithm", "sha3-256"), /not supported/],
      ["an unknown marshaling", withValue("--marshaling-algorithm", "der"), /marshaling/],
      ["a bad salt length", withValue("--salt-length", "lots"), /salt length/],
      ["a bad key version", withValue("--key-version", "0"), /--key-version/],
      ["a key for another curve", withValue("--key-type", "ecdsa-p384"), /ecdsa-p384 public key/],
    ])("for %s", async (_, args, message) => {
      expectUsageFailure(await runCli(args), message);
    });

    it("for an unknown command", async () => {
      const result = await runCli(["frobnicate"]);
      expect(result.code).toBe(2);
      expect(firstStderrLine(result)).toEqual({ error: 'unknown command "frobnicate"' });
      expect(result.stderr).toMatch(/verify-signature/);
    });
  });
});

describe("help", () => {
  it.each([[[]], [["help"]], [["--help"]]])("prints the command list for %j", async (args) => {
    const result = await runCli(args);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: npm run cli -- <command>/);
    expect(result.stdout).toMatch(/verify-signature/);
  });

  it("prints a command's flags", async () => {
    for (const args of [
      ["help", "verify-signature"],
      ["verify-signature", "--help"],
    ]) {
      const result = await runCli(args);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/--salt-length/);
    }
  });
});
