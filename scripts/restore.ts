// Applies a backup made by scripts/backup.ts to a D1 database with `wrangler d1 execute --file`.
//
//   node scripts/restore.ts --file backups/x.sql [--local | --remote --yes-i-am-sure]
//                           [--persist-to dir] [--force]

import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  BINDING,
  countLicenseInserts,
  createsLicensesTable,
  currentBookmark,
  fail,
  parseTarget,
  runWrangler,
  ScriptError,
  TARGET_OPTIONS,
  type Target,
  wranglerFailure,
} from "./backup.ts";

const USAGE = `Usage: npm run restore -- --file backups/x.sql [--local | --remote --yes-i-am-sure]
                          [--persist-to dir] [--force]

  --file path        a backup written by npm run backup (required)
  --local            restore into the local database used by wrangler dev (the default)
  --remote           restore into the production database; needs --yes-i-am-sure
  --persist-to dir   the local state directory (default: .wrangler/state), with --local
  --force            restore even though the target already holds licenses; they are replaced

The target's tables are dropped and recreated from the backup, so the backup's schema and
migration history (d1_migrations) come back with its rows.`;

interface RestoreOptions extends Target {
  file: string;
  force: boolean;
}

function parseOptions(argv: string[]): RestoreOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...TARGET_OPTIONS,
      file: { type: "string" },
      force: { type: "boolean", default: false },
      "yes-i-am-sure": { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (values.file === undefined) {
    throw new ScriptError(`--file is required\n\n${USAGE}`);
  }
  const target = parseTarget(values);
  if (target.remote && !values["yes-i-am-sure"]) {
    throw new ScriptError(
      "restoring into the production database replaces its tables; " +
        "add --yes-i-am-sure to confirm (and consider wrangler d1 time-travel restore instead)",
    );
  }
  return { file: resolve(values.file), ...target, force: values.force };
}

function targetArgs(options: RestoreOptions): string[] {
  if (options.remote) {
    return ["--remote"];
  }
  return options.persistTo === undefined
    ? ["--local"]
    : ["--local", "--persist-to", options.persistTo];
}

/** Runs one query with `wrangler d1 execute --json` and returns its rows. */
async function query(options: RestoreOptions, sql: string): Promise<Record<string, unknown>[]> {
  const args = ["d1", "execute", BINDING, ...targetArgs(options), "--json", "--command", sql];
  const result = await runWrangler(args);
  if (result.code !== 0) {
    throw wranglerFailure(`wrangler d1 execute (${sql})`, result);
  }
  const parsed: unknown = JSON.parse(result.stdout.slice(result.stdout.indexOf("[")));
  const first: unknown = Array.isArray(parsed) ? parsed[0] : undefined;
  if (typeof first === "object" && first !== null && "results" in first) {
    const rows: unknown = first.results;
    if (Array.isArray(rows)) {
      return rows.filter((row): row is Record<string, unknown> => typeof row === "object");
    }
  }
  throw new ScriptError(`unexpected output from wrangler d1 execute: ${result.stdout}`);
}

interface SchemaObject {
  name: string;
  type: "table" | "view";
}

/** The target's tables and views, without SQLite's own and D1's internal (`_cf_`) ones. */
async function existingObjects(options: RestoreOptions): Promise<SchemaObject[]> {
  const rows = await query(
    options,
    "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') " +
      "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'",
  );
  return rows.map((row) => ({
    name: String(row.name),
    type: row.type === "view" ? "view" : "table",
  }));
}

async function licenseCount(options: RestoreOptions): Promise<number> {
  const [row] = await query(options, "SELECT count(*) AS n FROM licenses");
  return Number(row?.n ?? 0);
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * The file wrangler applies: drops of what the target has, then the backup. One file, so that
 * it runs as one unit (a batch locally, an import remotely) and a failure leaves the target as
 * it was. Foreign keys are checked at the end, once every table has been recreated and filled.
 */
function restoreScript(objects: SchemaObject[], backup: string): string {
  const drops = objects.map((object) => {
    const kind = object.type === "view" ? "VIEW" : "TABLE";
    return `DROP ${kind} IF EXISTS ${quoteIdentifier(object.name)};`;
  });
  return ["PRAGMA defer_foreign_keys=TRUE;", ...drops, backup].join("\n");
}

export async function restore(argv: string[]): Promise<void> {
  const options = parseOptions(argv);
  if (!existsSync(options.file)) {
    throw new ScriptError(`no such file: ${options.file}`);
  }
  const backup = await readFile(options.file, "utf8");
  if (!createsLicensesTable(backup)) {
    throw new ScriptError(
      `${options.file} does not create the licenses table: not a backup made by npm run backup`,
    );
  }
  const expected = countLicenseInserts(backup);
  const where = options.remote
    ? "the remote database"
    : `the local database${options.persistTo === undefined ? "" : ` in ${options.persistTo}`}`;

  const objects = await existingObjects(options);
  const present = objects.some((object) => object.name === "licenses" && object.type === "table")
    ? await licenseCount(options)
    : 0;
  if (present > 0 && !options.force) {
    throw new ScriptError(
      `${where} already holds ${present} licenses; restoring would replace them. ` +
        "Restore into a fresh database, or add --force.",
    );
  }
  if (objects.length > 0) {
    console.log(`replacing ${objects.length} tables in ${where} (${present} licenses)`);
  }
  if (options.remote) {
    // The way back should this restore be a mistake.
    const bookmark = await currentBookmark();
    console.log(`bookmark before restore: ${bookmark}`);
    console.log(`  undo with: wrangler d1 time-travel restore ${BINDING} --bookmark=${bookmark}`);
  }

  const dir = mkdtempSync(join(tmpdir(), "d1-restore-"));
  try {
    const file = join(dir, "restore.sql");
    writeFileSync(file, restoreScript(objects, backup));
    const args = ["d1", "execute", BINDING, ...targetArgs(options), "--file", file, "--yes"];
    const result = await runWrangler(args);
    if (result.code !== 0) {
      throw wranglerFailure("wrangler d1 execute --file", result);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const restored = await licenseCount(options);
  if (restored !== expected) {
    throw new ScriptError(
      `restored ${restored} licenses into ${where}, but ${options.file} holds ${expected}`,
    );
  }
  console.log(`restored: ${options.file}`);
  console.log(`into:     ${where}`);
  console.log(`licenses: ${restored}`);
}

restore(process.argv.slice(2)).catch((error: unknown) => fail(error, USAGE));
