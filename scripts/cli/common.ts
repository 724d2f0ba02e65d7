// Pieces every CLI command shares. They live apart from scripts/cli.ts so that command modules
// can import them without importing the command table that imports those modules.

import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";

export interface Command {
  /** One line shown in the command list. */
  summary: string;
  /** Full usage text, starting with the synopsis. */
  usage: string;
  /** Returns the process exit code. */
  run(args: string[]): Promise<number>;
}

/** An error caused by the invocation rather than by the thing being checked. */
export class UsageError extends Error {
  override name = "UsageError";
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
