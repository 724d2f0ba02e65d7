// verify-token: checks a license token offline with the SDK's verifier, the one applications
// embed, so what the CLI says about a token is what an application will say.

import type { JSONWebKeySet } from "jose";
import { LicenseKeySetError } from "../../sdk/errors.ts";
import { type VerifyTokenOptions, verifyLicenseToken } from "../../sdk/offline.ts";
import {
  type Command,
  EXIT_NEGATIVE,
  EXIT_OK,
  EXIT_USAGE,
  flagText,
  parseFlags,
  printJson,
  required,
  UsageError,
  valueOrFile,
} from "./common.ts";

const FLAGS = ["token", "jwks", "module", "clock-skew", "issuer"] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The token itself, or the `license_token` of the output of issue or renew. */
async function tokenFlag(value: string): Promise<string> {
  const source = (await flagText(value, "token")).trim();
  if (!source.startsWith("{")) {
    return source;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`--token holds JSON that does not parse: ${reason}`);
  }
  if (!isRecord(parsed) || typeof parsed.license_token !== "string") {
    throw new UsageError("--token holds JSON without a license_token");
  }
  return parsed.license_token;
}

/** A JWK set from `@file`, or the URL the service publishes it at. */
async function jwksFlag(value: string): Promise<VerifyTokenOptions["jwks"]> {
  if (value.startsWith("@")) {
    const source = await valueOrFile(value, "jwks");
    let parsed: unknown;
    try {
      parsed = JSON.parse(source);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new UsageError(`--jwks file is not valid JSON: ${reason}`);
    }
    if (!isRecord(parsed) || !Array.isArray(parsed.keys)) {
      throw new UsageError('--jwks file must hold a JWK set: {"keys": [...]}');
    }
    // Each key is checked by the verifier, which reports a set it cannot use.
    return parsed as unknown as JSONWebKeySet;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--jwks must be @FILE or an http(s) URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--jwks must be @FILE or an http(s) URL, got ${JSON.stringify(value)}`);
  }
  return url.href;
}

function skewFlag(value: string | undefined): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (!/^[0-9]+(\.[0-9]+)?$/.test(value)) {
    throw new UsageError(`--clock-skew must be a number of seconds, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

export const verifyToken: Command = {
  summary: "Verify a license token offline against the service's public keys (JWKS)",
  usage: `Usage: npm run cli -- verify-token --token TOKEN|@FILE|- --jwks @FILE|URL [options]

  --token TOKEN|@FILE|-        the compact license token, inline, from a file or from stdin;
                               the output of issue or renew is accepted as well
  --jwks @FILE|URL             the service's JWK set: a file, or its URL, such as
                               https://licenses.example.com/.well-known/jwks.json
  --module M                   also require this module to be licensed
  --clock-skew SECONDS         tolerated clock difference for expiry and start (default 60)
  --issuer ISS                 require this issuer (the service's LICENSE_ISSUER)

Checks the signature, the validity dates and the module without calling the service, so it
cannot see revocations or suspensions: ask the service with validate for those.

Prints {"valid":...,"code":...,"license":...}; code is VALID, INVALID_SIGNATURE, EXPIRED,
NOT_YET_VALID or MODULE_NOT_LICENSED. Exits 0 when valid, 1 when not, 2 on bad usage or
when the key set cannot be fetched.`,
  async run(args) {
    const flags = parseFlags(args, FLAGS);
    const token = await tokenFlag(required(flags.token, "token"));
    const jwks = await jwksFlag(required(flags.jwks, "jwks"));
    const skew = skewFlag(flags["clock-skew"]);
    const options: VerifyTokenOptions = { jwks };
    if (flags.module !== undefined) {
      options.module = flags.module;
    }
    if (skew !== undefined) {
      options.clockToleranceSeconds = skew;
    }
    if (flags.issuer !== undefined) {
      options.issuer = flags.issuer;
    }
    let result: Awaited<ReturnType<typeof verifyLicenseToken>>;
    try {
      result = await verifyLicenseToken(token, options);
    } catch (error) {
      if (error instanceof LicenseKeySetError) {
        printJson(process.stderr, { error: error.message });
        return EXIT_USAGE;
      }
      if (error instanceof TypeError) {
        throw new UsageError(error.message);
      }
      throw error;
    }
    printJson(process.stdout, { valid: result.valid, code: result.code, license: result.license });
    return result.valid ? EXIT_OK : EXIT_NEGATIVE;
  },
};
