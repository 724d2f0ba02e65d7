// The plumbing every service command shares. Each command only turns its flags into one
// request; `callService` owns the wire: headers, timeout, JSON, output and exit codes.

import { parseInstant } from "../../src/licenses/dates.ts";
import {
  type Command,
  commandGroup,
  EXIT_NEGATIVE,
  EXIT_OK,
  EXIT_USAGE,
  type Flags,
  parseFlags,
  printJson,
  UsageError,
} from "./common.ts";

const DEFAULT_URL = "http://127.0.0.1:8787";
const DEFAULT_TIMEOUT_SECONDS = 30;

const CONNECTION_FLAGS = ["url", "api-key", "timeout"] as const;
const SWITCHES = ["pretty"] as const;

const CONNECTION_USAGE = `Connection:
  --url URL                    the service (default $LICENSE_API_URL, else ${DEFAULT_URL})
  --api-key KEY                sent as Authorization: Bearer KEY (default $LICENSE_API_KEY)
  --timeout SECONDS            how long to wait for the answer (default ${DEFAULT_TIMEOUT_SECONDS})
  --pretty                     indent the JSON printed on stdout

The service's JSON answer goes to stdout. HTTP errors print the service's error envelope on
stderr and exit 2, as do bad flags and an unreachable service.`;

interface Connection {
  /** Without a trailing slash, so request paths append directly. */
  baseUrl: string;
  apiKey: string | undefined;
  timeoutMs: number;
  pretty: boolean;
}

interface ServiceCall {
  method: "GET" | "POST" | "DELETE";
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** Sent as Idempotency-Key. */
  idempotencyKey?: string;
  /** A line for the user, printed on stderr after a 2xx answer. */
  notice?: string;
  /** Non-2xx statuses whose body is still the answer, printed on stdout (exit 2 all the same). */
  answerStatuses?: readonly number[];
  /** Whether a 2xx answer is a definite "no", which exits 1. */
  isNegative?: (body: unknown) => boolean;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

function connectionOf(flags: Flags<(typeof CONNECTION_FLAGS)[number], "pretty">): Connection {
  const urlText = nonEmpty(flags.url) ?? nonEmpty(process.env.LICENSE_API_URL) ?? DEFAULT_URL;
  let url: URL;
  try {
    url = new URL(urlText);
  } catch {
    throw new UsageError(`--url is not a URL: ${JSON.stringify(urlText)}`);
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.search || url.hash) {
    throw new UsageError(`--url must be an http(s) URL without query or fragment, got ${urlText}`);
  }
  let timeoutMs = DEFAULT_TIMEOUT_SECONDS * 1_000;
  const timeoutText = flags.timeout;
  if (timeoutText !== undefined) {
    const seconds = /^[0-9]+(\.[0-9]+)?$/.test(timeoutText) ? Number(timeoutText) : 0;
    if (seconds <= 0) {
      throw new UsageError(`--timeout must be a positive number of seconds, got ${timeoutText}`);
    }
    timeoutMs = Math.max(1, Math.round(seconds * 1_000));
  }
  // An explicit empty --api-key sends no key even when LICENSE_API_KEY is set.
  const apiKey = flags["api-key"] ?? process.env.LICENSE_API_KEY;
  return {
    baseUrl: url.href.replace(/\/+$/, ""),
    apiKey: nonEmpty(apiKey),
    timeoutMs,
    pretty: flags.pretty === true,
  };
}

function describeFailure(error: unknown, url: URL, timeoutMs: number): string {
  if (error instanceof Error && error.name === "TimeoutError") {
    return `no answer from ${url.origin} within ${timeoutMs / 1_000} s`;
  }
  // fetch reports network failures as "fetch failed" with the socket error as the cause.
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return `cannot reach the service at ${url.origin}: ${reason}`;
}

/** Sends one request, prints the answer or the error, and returns the exit code. */
async function callService(connection: Connection, call: ServiceCall): Promise<number> {
  const url = new URL(`${connection.baseUrl}${call.path}`);
  for (const [name, value] of Object.entries(call.query ?? {})) {
    if (value !== undefined) {
      url.searchParams.set(name, value);
    }
  }
  const headers: Record<string, string> = { Accept: "application/json" };
  if (connection.apiKey !== undefined) {
    headers.Authorization = `Bearer ${connection.apiKey}`;
  }
  if (call.body !== undefined) {
    headers["Content-Type"] = "application/json";
  }
  if (call.idempotencyKey !== undefined) {
    headers["Idempotency-Key"] = call.idempotencyKey;
  }

  let status: number;
  let bodyText: string;
  try {
    const response = await fetch(url, {
      method: call.method,
      headers,
      ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
      signal: AbortSignal.timeout(connection.timeoutMs),
    });
    status = response.status;
    bodyText = await response.text();
  } catch (error) {
    printJson(process.stderr, { error: describeFailure(error, url, connection.timeoutMs) });
    return EXIT_USAGE;
  }

  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    // Typically a proxy or a wrong --url answering with HTML; show the start of what came back.
    printJson(process.stderr, {
      error: `${call.method} ${url.pathname} answered HTTP ${status} with a body that is not JSON`,
      status,
      body: bodyText.slice(0, 500),
    });
    return EXIT_USAGE;
  }

  const ok = status >= 200 && status < 300;
  if (ok || call.answerStatuses?.includes(status)) {
    process.stdout.write(`${JSON.stringify(body, null, connection.pretty ? 2 : undefined)}\n`);
    if (!ok) {
      return EXIT_USAGE;
    }
    if (call.notice !== undefined) {
      process.stderr.write(`${call.notice}\n`);
    }
    return call.isNegative?.(body) ? EXIT_NEGATIVE : EXIT_OK;
  }
  // The service's envelope already carries `error`; anything else is wrapped to keep that shape.
  const envelope =
    isRecord(body) && typeof body.error === "string"
      ? body
      : { error: `${call.method} ${url.pathname} answered HTTP ${status}`, status, body };
  printJson(process.stderr, envelope);
  return EXIT_USAGE;
}

/** Checked with the service's own date rules, so typos fail before anything is sent. */
export function dateFlag(value: string, flag: string): string {
  if (parseInstant(value, false) === undefined) {
    throw new UsageError(
      `--${flag} must be a date (YYYY-MM-DD) or RFC 3339 timestamp, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

export function optionalDate(value: string | undefined, flag: string): string | undefined {
  return value === undefined ? undefined : dateFlag(value, flag);
}

export function countFlag(value: string | undefined, flag: string): string | undefined {
  if (value !== undefined && !/^[1-9][0-9]*$/.test(value)) {
    throw new UsageError(`--${flag} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Copies the defined entries only: the service's request schemas are strict about fields. */
export function defined(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

export interface ServiceCommandSpec<Names extends string> {
  summary: string;
  usage: string;
  flags: readonly Names[];
  request(flags: Partial<Record<Names, string>>): ServiceCall | Promise<ServiceCall>;
}

export interface ServiceCommand extends Command {
  /** The usage without the connection flags, for the usage of the group it belongs to. */
  ownUsage: string;
}

export function serviceCommand<const Names extends string>(
  spec: ServiceCommandSpec<Names>,
): ServiceCommand {
  return {
    summary: spec.summary,
    ownUsage: spec.usage,
    usage: `${spec.usage}\n\n${CONNECTION_USAGE}`,
    async run(args) {
      const flags = parseFlags(args, [...spec.flags, ...CONNECTION_FLAGS], SWITCHES);
      const connection = connectionOf(flags);
      const call = await spec.request(flags);
      return await callService(connection, call);
    },
  };
}

/** A group of service commands, whose usage shows every subcommand's flags. */
export function serviceGroup(
  name: string,
  summary: string,
  subcommands: Readonly<Record<string, ServiceCommand>>,
): Command {
  const names = Object.keys(subcommands).join("|");
  const usage = [
    `Usage: npm run cli -- ${name} <${names}> [flags]`,
    ...Object.values(subcommands).map((subcommand) => subcommand.ownUsage),
    CONNECTION_USAGE,
  ].join("\n\n");
  return commandGroup(name, summary, usage, subcommands);
}
