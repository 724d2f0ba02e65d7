// Runs scripts/cli.ts in a child process, as a user would, for the CLI tests.

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { type RunResult, runProcess } from "../../scripts/lib/run.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = join(ROOT, "scripts", "cli.ts");

export type CliResult = RunResult;

export interface RunOptions {
  /** Written to the CLI's stdin, which is closed after it (and at once without it). */
  stdin?: string;
  /** Laid over this process's environment; spawn leaves out variables whose value is undefined. */
  env?: Record<string, string | undefined>;
}

export function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return runProcess(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    stdin: options.stdin ?? "",
    env: options.env,
  });
}

/** The first line of stderr, parsed as JSON. */
export function firstStderrLine(result: CliResult): unknown {
  const [first = ""] = result.stderr.split("\n");
  return JSON.parse(first);
}

/** Asserts the failure shape: exit 2, one JSON error line on stderr, then usage text. */
export function expectUsageFailure(result: CliResult, message: RegExp): void {
  expect(result.code).toBe(2);
  expect(result.stdout).toBe("");
  const [first = "", ...rest] = result.stderr.split("\n");
  const parsed: unknown = JSON.parse(first);
  expect(parsed).toEqual({ error: expect.stringMatching(message) });
  expect(rest.join("\n")).toMatch(/Usage: npm run cli --/);
}
