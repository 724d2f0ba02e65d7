// Operator CLI: `npm run cli -- <command> [flags]`.
//
// verify-signature and verify-token work offline; the commands in cli/licenses.ts and
// cli/admin.ts call a running service through cli/http.ts.
//
// Exit codes: 0 success (for the verify commands: valid), 1 a definite negative answer (the
// signature or token is invalid, the license does not validate), 2 anything that prevented
// an answer, including an HTTP error from the service. Failures print one JSON line
// `{"error":"..."}` to stderr (for HTTP errors, the service's error envelope), followed by the
// command's usage for usage errors.

import { decodeBase64, EncodingError } from "../src/crypto/encoding.ts";
import {
  importVaultPublicKey,
  isVaultKeyType,
  KeyFormatError,
  parseSignatureOptions,
  SignatureFormatError,
  SignatureOptionsError,
  VAULT_KEY_TYPES,
  verifyVaultSignature,
} from "../src/crypto/verify.ts";
import { adminCommands } from "./cli/admin.ts";
import {
  type Command,
  EXIT_NEGATIVE,
  EXIT_OK,
  EXIT_USAGE,
  parseFlags,
  printJson,
  required,
  resolveCommand,
  UsageError,
  valueOrFile,
} from "./cli/common.ts";
import { licenseCommands } from "./cli/licenses.ts";
import { verifyToken } from "./cli/token.ts";

export { type Command, EXIT_NEGATIVE, EXIT_OK, EXIT_USAGE, UsageError } from "./cli/common.ts";

const VERIFY_FLAGS = [
  "key-type",
  "public-key",
  "input",
  "signature",
  "key-version",
  "hash-algorithm",
  "signature-algorithm",
  "marshaling-algorithm",
  "salt-length",
] as const;

const verifySignature: Command = {
  summary: "Verify a Vault Transit signature offline with the verifier the Worker uses",
  usage: `Usage: npm run cli -- verify-signature --key-type TYPE --public-key KEY --input BASE64
         --signature vault:vN:... [options]

  --key-type TYPE              ed25519 | ecdsa-p256 | ecdsa-p384 | ecdsa-p521 |
                               rsa-2048 | rsa-3072 | rsa-4096
  --public-key KEY|@FILE       the key as GET /v1/transit/keys/:name returns it (base64 for
                               ed25519, PEM otherwise), or @FILE to read it from a file
  --input BASE64               the signed bytes, base64-encoded (as sent to Vault)
  --signature SIG              the signature string returned by Vault
  --key-version N              only accept signatures labelled with this key version
  --hash-algorithm H           sha2-256 (default) | sha2-384 | sha2-512
  --signature-algorithm A      pss (default) | pkcs1v15   (RSA only)
  --marshaling-algorithm M     asn1 (default) | jws
  --salt-length S              auto (default) | hash | N  (RSA PSS only)

Prints {"valid":true} and exits 0, or {"valid":false} and exits 1.`,
  async run(args) {
    const flags = parseFlags(args, VERIFY_FLAGS);
    const keyType = required(flags["key-type"], "key-type");
    if (!isVaultKeyType(keyType)) {
      throw new UsageError(
        `--key-type must be one of ${VAULT_KEY_TYPES.join(", ")}, got ${JSON.stringify(keyType)}`,
      );
    }
    const publicKey = await valueOrFile(required(flags["public-key"], "public-key"), "public-key");
    const signature = required(flags.signature, "signature");
    const inputText = flags.input;
    if (inputText === undefined) {
      throw new UsageError("missing required flag --input");
    }
    let input: Uint8Array;
    try {
      input = decodeBase64(inputText);
    } catch (error) {
      const reason = error instanceof EncodingError ? error.message : String(error);
      throw new UsageError(`--input is not base64: ${reason}`);
    }
    const keyVersionText = flags["key-version"];
    let keyVersion: number | undefined;
    if (keyVersionText !== undefined) {
      if (!/^[1-9][0-9]*$/.test(keyVersionText)) {
        throw new UsageError(`--key-version must be a positive integer, got ${keyVersionText}`);
      }
      keyVersion = Number(keyVersionText);
    }
    const options = parseSignatureOptions({
      hashAlgorithm: flags["hash-algorithm"],
      signatureAlgorithm: flags["signature-algorithm"],
      marshalingAlgorithm: flags["marshaling-algorithm"],
      saltLength: flags["salt-length"],
    });
    const key = await importVaultPublicKey(
      keyType,
      publicKey,
      keyVersion === undefined ? options : { ...options, keyVersion },
    );
    const valid = await verifyVaultSignature(key, input, signature);
    printJson(process.stdout, { valid });
    return valid ? EXIT_OK : EXIT_NEGATIVE;
  },
};

/** Each runnable command line with its summary; a group is listed as its subcommands. */
function listing(prefix: string, table: Readonly<Record<string, Command>>): [string, string][] {
  return Object.entries(table).flatMap(([name, command]): [string, string][] =>
    command.subcommands === undefined
      ? [[`${prefix}${name}`, command.summary]]
      : listing(`${prefix}${name} `, command.subcommands),
  );
}

function overview(): string {
  const entries = listing("", commands);
  const width = Math.max(...entries.map(([name]) => name.length));
  const lines = entries.map(([name, summary]) => `  ${name.padEnd(width)}  ${summary}`);
  return [
    "Usage: npm run cli -- <command> [flags]",
    "",
    "Commands:",
    ...lines,
    "",
    "Commands that call the service also take --url (default $LICENSE_API_URL),",
    "--api-key (default $LICENSE_API_KEY), --timeout and --pretty.",
    "Run `npm run cli -- help <command>` for a command's flags, e.g. `help credentials`.",
  ].join("\n");
}

const help: Command = {
  summary: "Show the commands, or one command's flags",
  usage: "Usage: npm run cli -- help [command [subcommand]]",
  async run(args) {
    const [name, ...rest] = args;
    if (name === undefined) {
      process.stdout.write(`${overview()}\n`);
      return EXIT_OK;
    }
    const command = findCommand(name);
    const resolved = command === undefined ? undefined : resolveCommand(command, rest);
    if (resolved === undefined || resolved.args.length > 0) {
      throw new UsageError(`unknown command ${JSON.stringify(args.join(" "))}`);
    }
    process.stdout.write(`${resolved.command.usage}\n`);
    return EXIT_OK;
  },
};

/** Every command, by the name typed on the command line. */
export const commands: Record<string, Command> = {
  "verify-signature": verifySignature,
  "verify-token": verifyToken,
  ...licenseCommands,
  ...adminCommands,
  help,
};

// Own names only: a typed word such as "constructor" must not find Object.prototype members.
function findCommand(name: string): Command | undefined {
  return Object.hasOwn(commands, name) ? commands[name] : undefined;
}

// Errors that mean the invocation (flags, key, signature string) was wrong, not the answer.
function isUsageFailure(error: unknown): error is Error {
  return (
    error instanceof UsageError ||
    error instanceof SignatureFormatError ||
    error instanceof SignatureOptionsError ||
    error instanceof KeyFormatError
  );
}

/** Runs one CLI invocation and returns its exit code; never throws. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "--help" || name === "-h") {
    process.stdout.write(`${overview()}\n`);
    return EXIT_OK;
  }
  const named = findCommand(name);
  if (named === undefined) {
    printJson(process.stderr, { error: `unknown command ${JSON.stringify(name)}` });
    process.stderr.write(`${overview()}\n`);
    return EXIT_USAGE;
  }
  // `credentials create --role x` runs create, whose usage is the one worth showing on errors.
  const { command, args: commandArgs } = resolveCommand(named, args);
  if (commandArgs.includes("--help") || commandArgs.includes("-h")) {
    process.stdout.write(`${command.usage}\n`);
    return EXIT_OK;
  }
  try {
    return await command.run(commandArgs);
  } catch (error) {
    if (isUsageFailure(error)) {
      printJson(process.stderr, { error: error.message });
      process.stderr.write(`${command.usage}\n`);
      return EXIT_USAGE;
    }
    const reason = error instanceof Error ? error.message : String(error);
    printJson(process.stderr, { error: `unexpected failure: ${reason}` });
    return EXIT_USAGE;
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
