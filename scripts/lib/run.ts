// Runs a child process to completion and captures its output, for scripts that drive other tools
// (wrangler, the project's own scripts) and for the tests that run those scripts as a user would.

import { spawn } from "node:child_process";

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  /** Laid over this process's environment; spawn leaves out variables whose value is undefined. */
  env?: Record<string, string | undefined> | undefined;
  /** Written to the child's stdin, which is then closed; without it the child gets no stdin. */
  stdin?: string;
}

export function runProcess(
  command: string,
  args: readonly string[],
  options: RunOptions,
): Promise<RunResult> {
  const { stdin } = options;
  return new Promise((resolve, reject) => {
    const spawnOptions = { cwd: options.cwd, env: { ...process.env, ...options.env } };
    // Two calls rather than one computed stdio, so the types know stdout and stderr are piped.
    const child =
      stdin === undefined
        ? spawn(command, args, { ...spawnOptions, stdio: ["ignore", "pipe", "pipe"] })
        : spawn(command, args, { ...spawnOptions, stdio: "pipe" });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    if (stdin !== undefined) {
      child.stdin?.end(stdin);
    }
  });
}
