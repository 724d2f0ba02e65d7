// Exports the D1 database to a dated SQL file with `wrangler d1 export`, and reports what is in
// it. Also holds the wrangler plumbing shared with scripts/restore.ts.
//
//   node scripts/backup.ts [--local | --remote] [--output dir] [--persist-to dir]

import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, stripVTControlCharacters } from "node:util";
import { type RunResult, runProcess } from "./lib/run.ts";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const DATABASE_NAME = "edge-license-authority";
/** The binding in wrangler.toml; wrangler accepts it wherever it takes the database's name. */
export const BINDING = "DB";
const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");
const CONFIG = join(ROOT, "wrangler.toml");

/** A failure whose message is meant for the operator as it is, without a stack. */
export class ScriptError extends Error {}

export type WranglerResult = RunResult;

/** Runs the project's wrangler, capturing its output. */
export function runWrangler(args: readonly string[], cwd: string = ROOT): Promise<WranglerResult> {
  return runProcess(WRANGLER, args, {
    cwd,
    // Colours and the update check only clutter the output this script quotes back.
    env: { FORCE_COLOR: "0", NO_COLOR: "1", WRANGLER_SEND_METRICS: "false" },
  });
}

/** The command-line options that pick the database, shared with scripts/restore.ts. */
export const TARGET_OPTIONS = {
  local: { type: "boolean", default: false },
  remote: { type: "boolean", default: false },
  "persist-to": { type: "string" },
  help: { type: "boolean", default: false },
} as const;

export interface Target {
  remote: boolean;
  persistTo: string | undefined;
}

/** Checks the TARGET_OPTIONS given together and resolves the local state directory. */
export function parseTarget(values: {
  local: boolean;
  remote: boolean;
  "persist-to"?: string | undefined;
}): Target {
  if (values.local && values.remote) {
    throw new ScriptError("choose one of --local and --remote");
  }
  if (values.remote && values["persist-to"] !== undefined) {
    throw new ScriptError("--persist-to applies to the local database only");
  }
  return {
    remote: values.remote,
    persistTo: values["persist-to"] === undefined ? undefined : resolve(values["persist-to"]),
  };
}

/** The part of wrangler's output that explains a failure: its error block, else its last lines. */
export function wranglerFailure(what: string, result: WranglerResult): ScriptError {
  const output = stripVTControlCharacters(`${result.stderr}\n${result.stdout}`);
  let detail = "";
  try {
    // With --json, wrangler reports errors as {"error": {"text": ...}} on stdout.
    const parsed: unknown = JSON.parse(result.stdout);
    if (typeof parsed === "object" && parsed !== null && "error" in parsed) {
      const error: unknown = parsed.error;
      if (typeof error === "object" && error !== null && "text" in error) {
        detail = String(error.text);
      }
    }
  } catch {
    // Not JSON: fall back to the text below.
  }
  if (!detail) {
    const lines = output.split("\n").map((line) => line.trimEnd());
    const start = lines.findIndex((line) => line.includes("[ERROR]"));
    const picked = start >= 0 ? lines.slice(start, start + 8) : lines.filter(Boolean).slice(-8);
    detail = picked.filter(Boolean).join("\n");
  }
  return new ScriptError(
    `${what} failed (wrangler exited with ${String(result.code)}):\n${detail || "(no output)"}`,
  );
}

/**
 * `wrangler d1 export --local` has no --persist-to: it always reads `.wrangler/state` next to the
 * configuration file. So for another directory, wrangler gets a copy of wrangler.toml (same
 * database id, hence the same SQLite file name) beside a `.wrangler/state` link to that directory.
 */
export async function withPersistTo<T>(
  persistTo: string,
  use: (configPath: string) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "d1-persist-"));
  try {
    const configPath = join(dir, "wrangler.toml");
    copyFileSync(CONFIG, configPath);
    mkdirSync(join(dir, ".wrangler"));
    // Absolute: a relative link target would be resolved against the temporary directory.
    symlinkSync(realpathSync(persistTo), join(dir, ".wrangler", "state"), "dir");
    return await use(configPath);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Splits SQL text into statements at semicolons outside quotes, so that a license document
 * containing `;`, quotes or line breaks cannot be mistaken for statements of its own.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let quote: string | undefined;
  for (let i = 0; i < sql.length; i++) {
    const char = sql[i];
    if (quote !== undefined) {
      if (char === quote) {
        // A doubled quote is an escaped quote, not the end of the literal.
        if (sql[i + 1] === quote) {
          i++;
        } else {
          quote = undefined;
        }
      }
    } else if (char === "'" || char === '"' || char === "`") {
      quote = char;
    } else if (char === "[") {
      quote = "]";
    } else if (char === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      i = end < 0 ? sql.length : end;
    } else if (char === ";") {
      statements.push(sql.slice(start, i).trim());
      start = i + 1;
    }
  }
  statements.push(sql.slice(start).trim());
  // Comments before a statement belong to no statement; they must not hide its keyword.
  return statements
    .map((statement) => statement.replace(/^(\s*--[^\n]*(\n|$))+/, "").trim())
    .filter((statement) => statement.length > 0);
}

// D1 exports quote the table name; sqlite3's .dump and hand-written files may not.
const LICENSE_INSERT = /^INSERT\s+(OR\s+\w+\s+)?INTO\s+(["`[]?)licenses(["`\]]?)\s*[( ]/i;

/** The number of rows of `licenses` a SQL dump inserts. */
export function countLicenseInserts(sql: string): number {
  return splitStatements(sql).filter((statement) => LICENSE_INSERT.test(statement)).length;
}

/** Whether the dump creates the `licenses` table, i.e. carries its own schema. */
export function createsLicensesTable(sql: string): boolean {
  return splitStatements(sql).some((statement) =>
    /^CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?(["`[]?)licenses(["`\]]?)\s*\(/i.test(statement),
  );
}

/** The current Time Travel bookmark of the remote database. */
export async function currentBookmark(): Promise<string> {
  const result = await runWrangler(["d1", "time-travel", "info", BINDING, "--json"]);
  if (result.code !== 0) {
    throw wranglerFailure("wrangler d1 time-travel info", result);
  }
  const parsed: unknown = JSON.parse(result.stdout.slice(result.stdout.indexOf("{")));
  if (typeof parsed === "object" && parsed !== null && "bookmark" in parsed) {
    return String(parsed.bookmark);
  }
  throw new ScriptError(`wrangler d1 time-travel info gave no bookmark: ${result.stdout}`);
}

function pad(value: number): string {
  return String(value).padStart(2, "0");
}

/** UTC, so that backups taken from machines in different time zones sort together. */
export function backupFileName(now: Date): string {
  const date = `${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}`;
  const time = `${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}`;
  return `${DATABASE_NAME}-${date}-${time}.sql`;
}

function humanSize(bytes: number): string {
  if (bytes < 1024) {
    return `${bytes} B`;
  }
  const units = ["KiB", "MiB", "GiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]} (${bytes} bytes)`;
}

const USAGE = `Usage: npm run backup -- [--local | --remote] [--output dir] [--persist-to dir]

  --local            export the local database used by wrangler dev (the default)
  --remote           export the production database, and print its Time Travel bookmark
  --output dir       where to write the file (default: backups/)
  --persist-to dir   the local state directory (default: .wrangler/state), with --local`;

interface BackupOptions extends Target {
  output: string;
}

function parseOptions(argv: string[]): BackupOptions {
  const { values } = parseArgs({
    args: argv,
    options: { ...TARGET_OPTIONS, output: { type: "string" } },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const target = parseTarget(values);
  return { ...target, output: resolve(values.output ?? join(ROOT, "backups")) };
}

async function exportDatabase(options: BackupOptions, file: string): Promise<void> {
  const base = ["d1", "export", BINDING, "--output", file];
  if (options.remote) {
    const result = await runWrangler([...base, "--remote", "--skip-confirmation"]);
    if (result.code !== 0) {
      throw wranglerFailure("wrangler d1 export --remote", result);
    }
    return;
  }
  const { persistTo } = options;
  if (persistTo === undefined) {
    const result = await runWrangler([...base, "--local"]);
    if (result.code !== 0) {
      throw wranglerFailure("wrangler d1 export --local", result);
    }
    return;
  }
  if (!existsSync(persistTo)) {
    throw new ScriptError(`--persist-to ${persistTo} does not exist`);
  }
  await withPersistTo(persistTo, async (configPath) => {
    const result = await runWrangler([...base, "--local", "--config", configPath]);
    if (result.code !== 0) {
      throw wranglerFailure("wrangler d1 export --local", result);
    }
  });
}

export async function backup(argv: string[]): Promise<void> {
  const options = parseOptions(argv);
  mkdirSync(options.output, { recursive: true });
  const now = new Date();
  let file = join(options.output, backupFileName(now));
  // Two backups within one second must not overwrite each other.
  for (let n = 1; existsSync(file); n++) {
    file = join(options.output, backupFileName(now).replace(/\.sql$/, `-${n}.sql`));
  }

  try {
    await exportDatabase(options, file);
  } catch (error) {
    // A half-written export must not pass for a backup later.
    rmSync(file, { force: true });
    throw error;
  }
  if (!existsSync(file)) {
    throw new ScriptError(`wrangler reported success but wrote no file at ${file}`);
  }
  const sql = await readFile(file, "utf8");
  const size = (await stat(file)).size;
  if (!createsLicensesTable(sql)) {
    throw new ScriptError(
      `${file} has no licenses table: is the database migrated (wrangler d1 migrations apply)?`,
    );
  }
  const shown = relative(process.cwd(), file).startsWith("..") ? file : relative(".", file);
  console.log(`backup:   ${shown}`);
  console.log(`size:     ${humanSize(size)}`);
  console.log(`licenses: ${countLicenseInserts(sql)}`);
  if (options.remote) {
    // Taken after the export, so restoring to it brings back at least what the file holds.
    const bookmark = await currentBookmark();
    console.log(`bookmark: ${bookmark}`);
    const command = `wrangler d1 time-travel restore ${BINDING} --bookmark=${bookmark}`;
    console.log(`          ${command} (within 30 days)`);
  }
}

/** Reports a failure on stderr and exits 1; usage errors also print the usage. */
export function fail(error: unknown, usage: string): never {
  if (error instanceof ScriptError) {
    console.error(`error: ${error.message}`);
  } else if (
    error instanceof Error &&
    "code" in error &&
    String(error.code).startsWith("ERR_PARSE_ARGS")
  ) {
    console.error(`error: ${error.message}\n\n${usage}`);
  } else {
    console.error(error);
  }
  process.exit(1);
}

const invokedDirectly =
  process.argv[1] !== undefined &&
  realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
if (invokedDirectly) {
  backup(process.argv.slice(2)).catch((error: unknown) => fail(error, USAGE));
}
