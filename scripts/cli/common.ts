// Pieces every CLI command shares. They live apart from scripts/cli.ts so that command modules
// can import them without importing the command table that imports those modules.

import { readFile } from "node:fs/promises";
import { text } from "node:stream/consumers";
import { parseArgs } from "node:util";

export interface Command {
  /** One line shown in the command list. */
  summary: string;
  /** Full usage text, starting with the synopsis. */
  usage: string;
  /** Returns the process exit code. */
  run(args: string[]): Promise<number>;
  /** For a group such as `credentials`: the commands typed after its name. */
  subcommands?: Readonly<Record<string, Command>>;
}

/** An error caused by the invocation rather than by the thing being checked. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * A command that only names its subcommands. It runs only when the word after it is not one of
 * them, since callers resolve the subcommand first so that its own usage is shown on errors.
 */
export function commandGroup(
  name: string,
  summary: string,
  usage: string,
  subcommands: Readonly<Record<string, Command>>,
): Command {
  const names = Object.keys(subcommands).join(", ");
  return {
    summary,
    usage,
    subcommands,
    async run(args) {
      const [word] = args;
      if (word === undefined || word.startsWith("-")) {
        throw new UsageError(`missing ${name} command: one of ${names}`);
      }
      throw new UsageError(`unknown ${name} command ${JSON.stringify(word)}; one of ${names}`);
    },
  };
}

/** Follows subcommand names at the start of args down to the command that runs. */
export function resolveCommand(
  command: Command,
  args: string[],
): { command: Command; args: string[] } {
  const [word, ...rest] = args;
  const subcommands = command.subcommands;
  // Own names only: a word such as "constructor" must not find Object.prototype members.
  if (word === undefined || subcommands === undefined || !Object.hasOwn(subcommands, word)) {
    return { command, args };
  }
  const subcommand = subcommands[word];
  return subcommand === undefined ? { command, args } : resolveCommand(subcommand, rest);
}

export const EXIT_OK = 0;
export const EXIT_NEGATIVE = 1;
export const EXIT_USAGE = 2;

export function printJson(stream: NodeJS.WriteStream, value: unknown): void {
  stream.write(`${JSON.stringify(value)}\n`);
}

export type Flags<Names extends string, Switches extends string> = Partial<
  Record<Names, string> & Record<Switches, true>
>;

/**
 * Parses `--name value` flags and value-less `--switch` flags, turning parseArgs failures into
 * UsageError.
 */
export function parseFlags<const Names extends string, const Switches extends string = never>(
  args: string[],
  names: readonly Names[],
  switches: readonly Switches[] = [],
): Flags<Names, Switches> {
  const options: Record<string, { type: "string" | "boolean" }> = {};
  for (const name of names) {
    options[name] = { type: "string" };
  }
  const switchFlags = new Set<string>();
  for (const name of switches) {
    options[name] = { type: "boolean" };
    switchFlags.add(`--${name}`);
  }
  // Every other flag takes a value, and PEM keys start with dashes, which parseArgs would
  // otherwise mistake for a missing value; the `--name=value` form is never ambiguous.
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const next = args[i + 1];
    if (arg.startsWith("--") && !arg.includes("=") && !switchFlags.has(arg) && next !== undefined) {
      joined.push(`${arg}=${next}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  try {
    const { values } = parseArgs({
      args: joined,
      options,
      strict: true,
      allowPositionals: false,
    });
    const flags: Record<string, string | true> = {};
    for (const name of [...names, ...switches]) {
      const value = values[name];
      if (typeof value === "string") {
        flags[name] = value;
      } else if (value === true) {
        flags[name] = true;
      }
    }
    return flags as Flags<Names, Switches>;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

export function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === "") {
    throw new UsageError(`missing required flag --${flag}`);
  }
  return value;
}

/** Reads `@path` arguments from the file, so keys need no shell quoting. */
export async function valueOrFile(value: string, flag: string): Promise<string> {
  if (!value.startsWith("@")) {
    return value;
  }
  const path = value.slice(1);
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`cannot read --${flag} file ${JSON.stringify(path)}: ${reason}`);
  }
}

let stdinTaken = false;

/** Reads a flag's text: inline, `@path` for a file, or `-` for stdin. */
export async function flagText(value: string, flag: string): Promise<string> {
  if (value !== "-") {
    return await valueOrFile(value, flag);
  }
  if (stdinTaken) {
    throw new UsageError(`only one flag can read stdin, and --${flag} is the second`);
  }
  stdinTaken = true;
  return await text(process.stdin);
}
