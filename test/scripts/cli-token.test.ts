// verify-token: offline checks of license tokens made here with jose, against a JWK set in a
// file and one served over HTTP.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { base64url, type JWTPayload } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  claims,
  expectedLicense,
  ISSUER,
  LICENSE_ID,
  nowSeconds,
  type SigningKey,
  signingKeys,
  signToken,
  withPayload,
} from "../fixtures/license-tokens.ts";
import { type CliResult, expectUsageFailure, firstStderrLine, runCli } from "./run-cli.ts";

const ALGORITHMS = ["EdDSA", "ES256", "ES384", "ES512", "PS256", "RS256"] as const;
type Algorithm = (typeof ALGORITHMS)[number];

let dir = "";
let jwksPath = "";
let server: Server;
let jwksUrl = "";
let origin = "";
let keys = new Map<Algorithm, SigningKey<Algorithm>>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cli-token-test-"));
  const signing = await signingKeys(ALGORITHMS);
  keys = signing.keys;
  const jwks = JSON.stringify(signing.jwks);
  jwksPath = join(dir, "jwks.json");
  await writeFile(jwksPath, jwks);

  server = createServer((request, response) => {
    if (request.url === "/.well-known/jwks.json") {
      response.writeHead(200, { "Content-Type": "application/json" }).end(jwks);
    } else {
      response.writeHead(404, { "Content-Type": "application/json" }).end("{}");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") {
    throw new Error("the key server has no port");
  }
  origin = `http://127.0.0.1:${address.port}`;
  jwksUrl = `${origin}/.well-known/jwks.json`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

async function sign(
  payload: JWTPayload,
  alg: Algorithm = "EdDSA",
  header: { kid?: string } = {},
): Promise<string> {
  const key = keys.get(alg);
  if (key === undefined) {
    throw new Error(`no ${alg} key`);
  }
  return await signToken(payload, key, header);
}

function verify(token: string, ...rest: string[]): Promise<CliResult> {
  return runCli(["verify-token", "--token", token, "--jwks", `@${jwksPath}`, ...rest]);
}

/** The one JSON line printed on stdout. */
function answer(result: CliResult): { valid: boolean; code: string; license: unknown } {
  expect(result.stdout.endsWith("\n")).toBe(true);
  expect(result.stdout.trimEnd().split("\n")).toHaveLength(1);
  return JSON.parse(result.stdout);
}

function expectAnswer(result: CliResult, code: string, exit: number): void {
  expect(result.stderr).toBe("");
  expect(answer(result)).toMatchObject({ valid: code === "VALID", code });
  expect(result.code).toBe(exit);
}

describe("verify-token", () => {
  it.each(ALGORITHMS)("accepts a valid %s token and prints the license", async (alg) => {
    const payload = claims();
    const result = await verify(await sign(payload, alg));
    expectAnswer(result, "VALID", 0);
    expect(answer(result)).toEqual({
      valid: true,
      code: "VALID",
      license: expectedLicense(payload, keys.get(alg)?.kid),
    });
  });

  it("reads the token from a file, from stdin and from the output of issue", async () => {
    const token = await sign(claims());
    const file = join(dir, "license.jwt");
    await writeFile(file, `${token}\n`);
    expectAnswer(await verify(`@${file}`), "VALID", 0);

    const piped = await runCli(["verify-token", "--token", "-", "--jwks", `@${jwksPath}`], {
      stdin: `${token}\n`,
    });
    expectAnswer(piped, "VALID", 0);

    const issued = join(dir, "issued.json");
    await writeFile(issued, JSON.stringify({ success: true, license: {}, license_token: token }));
    expectAnswer(await verify(`@${issued}`), "VALID", 0);
  });

  it("checks the module", async () => {
    const token = await sign(claims(), "ES256");
    expectAnswer(await verify(token, "--module", "reports"), "VALID", 0);
    const missing = await verify(token, "--module", "sso");
    expectAnswer(missing, "MODULE_NOT_LICENSED", 1);
    expect(answer(missing).license).toMatchObject({ license_id: LICENSE_ID });
  });

  it("reports an expired token with its license", async () => {
    const result = await verify(await sign(claims({ exp: nowSeconds() - 3_600 }), "RS256"));
    expectAnswer(result, "EXPIRED", 1);
    expect(answer(result).license).toMatchObject({ customer: "acme" });
  });

  it("allows --clock-skew for a token that starts in a moment", async () => {
    const token = await sign(claims({ nbf: nowSeconds() + 30 }), "PS256");
    expectAnswer(await verify(token), "VALID", 0);
    expectAnswer(await verify(token, "--clock-skew", "0"), "NOT_YET_VALID", 1);
    const later = await sign(claims({ nbf: nowSeconds() + 600 }));
    expectAnswer(await verify(later), "NOT_YET_VALID", 1);
    expectAnswer(await verify(later, "--clock-skew", "900"), "VALID", 0);
  });

  it("refuses a tampered token without repeating its claims", async () => {
    const payload = claims();
    const token = await sign(payload, "ES512");
    const result = await verify(withPayload(token, { ...payload, modules: ["everything"] }));
    expectAnswer(result, "INVALID_SIGNATURE", 1);
    expect(answer(result).license).toBeNull();
  });

  it.each([
    ["an unknown kid", async () => await sign(claims(), "ES384", { kid: "licensing:v42" })],
    [
      "alg none",
      async () => {
        const [, payload] = (await sign(claims())).split(".");
        return `${base64url.encode(JSON.stringify({ alg: "none", typ: "JWT" }))}.${payload}.`;
      },
    ],
    ["a value that is not a token", async () => "not-a-token"],
  ])("refuses %s as INVALID_SIGNATURE", async (_, make) => {
    expectAnswer(await verify(await make()), "INVALID_SIGNATURE", 1);
  });

  it("requires the issuer when asked", async () => {
    const token = await sign(claims());
    expectAnswer(await verify(token, "--issuer", ISSUER), "VALID", 0);
    expectAnswer(await verify(token, "--issuer", "another-authority"), "INVALID_SIGNATURE", 1);
  });

  it("fetches the key set from a URL", async () => {
    const token = await sign(claims(), "EdDSA");
    const result = await runCli(["verify-token", "--token", token, "--jwks", jwksUrl]);
    expectAnswer(result, "VALID", 0);
  });

  it("exits 2 when the key set cannot be fetched", async () => {
    const token = await sign(claims());
    const result = await runCli(["verify-token", "--token", token, "--jwks", `${origin}/nope`]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(firstStderrLine(result)).toEqual({
      error: expect.stringMatching(/^the license keys are unavailable: /),
    });
  });
});

describe("verify-token usage", () => {
  it.each<[string, () => Promise<string[]>, RegExp]>([
    ["a missing --token", async () => ["--jwks", `@${jwksPath}`], /missing required flag --token/],
    ["a missing --jwks", async () => ["--token", "a.b.c"], /missing required flag --jwks/],
    [
      "a --jwks that is neither a file nor a URL",
      async () => ["--token", "a.b.c", "--jwks", "jwks.json"],
      /--jwks must be @FILE or an http\(s\) URL/,
    ],
    [
      "a --jwks URL that is not http",
      async () => ["--token", "a.b.c", "--jwks", "file:///etc/jwks.json"],
      /--jwks must be @FILE or an http\(s\) URL/,
    ],
    [
      "a --jwks file that is not JSON",
      async () => {
        const path = join(dir, "broken.json");
        await writeFile(path, "{keys");
        return ["--token", "a.b.c", "--jwks", `@${path}`];
      },
      /--jwks file is not valid JSON/,
    ],
    [
      "a --jwks file that is not a key set",
      async () => {
        const path = join(dir, "array.json");
        await writeFile(path, "[]");
        return ["--token", "a.b.c", "--jwks", `@${path}`];
      },
      /--jwks file must hold a JWK set/,
    ],
    [
      "a missing --jwks file",
      async () => ["--token", "a.b.c", "--jwks", `@${join(dir, "missing.json")}`],
      /cannot read --jwks file/,
    ],
    [
      "a missing --token file",
      async () => ["--token", `@${join(dir, "missing.jwt")}`, "--jwks", `@${jwksPath}`],
      /cannot read --token file/,
    ],
    [
      "JSON without a license_token",
      async () => ["--token", '{"license":{}}', "--jwks", `@${jwksPath}`],
      /without a license_token/,
    ],
    [
      "a negative --clock-skew",
      async () => ["--token", "a.b.c", "--jwks", `@${jwksPath}`, "--clock-skew", "-5"],
      /--clock-skew must be a number of seconds/,
    ],
    [
      "a --clock-skew that is not a number",
      async () => ["--token", "a.b.c", "--jwks", `@${jwksPath}`, "--clock-skew", "lots"],
      /--clock-skew must be a number of seconds/,
    ],
    [
      "an empty --module",
      async () => ["--token", "a.b.c", "--jwks", `@${jwksPath}`, "--module", ""],
      /module must be a non-empty string/,
    ],
    [
      "an unknown flag",
      async () => ["--token", "a.b.c", "--jwks", `@${jwksPath}`, "--tenant", "acme"],
      /tenant/,
    ],
  ])("exits 2 for %s", async (_, args, message) => {
    expectUsageFailure(await runCli(["verify-token", ...(await args())]), message);
  });

  it("documents its flags", async () => {
    const result = await runCli(["help", "verify-token"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: npm run cli -- verify-token --token/);
    expect(result.stdout).toMatch(/--clock-skew SECONDS/);
    expect(result.stdout).toMatch(/cannot see revocations/);
  });
});
