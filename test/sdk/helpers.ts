// The SDK's tests drive the real Worker: the client's fetch hands each request to the Worker's
// fetch handler, in this isolate, with the test bindings.

import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { type FetchLike, LicenseClient, type LicenseClientOptions } from "../../sdk/index.ts";
import worker from "../../src/index.ts";

export const BASE_URL = "https://licenses.test";
export const ADMIN_KEY = env.ADMIN_API_KEY;

/** A fetch served by the Worker, with `overrides` laid over its bindings. */
export function workerFetch(overrides?: Partial<Env>): FetchLike {
  // One object for every request: the Worker parses its settings once per env object.
  const bindings = overrides === undefined ? env : { ...env, ...overrides };
  return async (input, init) => {
    const ctx = createExecutionContext();
    const request = new Request(input, init) as Request<unknown, IncomingRequestCfProperties>;
    const response = await worker.fetch(request, bindings, ctx);
    await waitOnExecutionContext(ctx);
    return response;
  };
}

export interface Recorded {
  method: string;
  url: URL;
  headers: Headers;
  body: string;
  /** What came back, once it has; absent for attempts that failed without an answer. */
  response?: { status: number; headers: Headers };
}

/** Wraps a fetch and records what each attempt sent and got. */
export function recorded(inner: FetchLike): { fetch: FetchLike; requests: Recorded[] } {
  const requests: Recorded[] = [];
  return {
    requests,
    fetch: async (input, init) => {
      const entry: Recorded = {
        method: init.method ?? "GET",
        url: new URL(input),
        headers: new Headers(init.headers),
        body: typeof init.body === "string" ? init.body : "",
      };
      requests.push(entry);
      const response = await inner(input, init);
      entry.response = { status: response.status, headers: response.headers };
      return response;
    },
  };
}

/** A clock that does not wait, and remembers how long it was asked to. */
export function fakeSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    sleep: async (ms) => {
      waits.push(ms);
    },
  };
}

/** An admin client of the Worker that never really waits between attempts. */
export function adminClient(options: Partial<LicenseClientOptions> = {}): LicenseClient {
  return new LicenseClient({
    baseUrl: BASE_URL,
    apiKey: ADMIN_KEY,
    fetch: workerFetch(),
    sleep: fakeSleep().sleep,
    ...options,
  });
}

export function daysFromNow(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

/** A customer name no other test uses, so listings count only this test's licenses. */
export function uniqueCustomer(prefix = "sdk"): string {
  return `${prefix}-${crypto.randomUUID()}`;
}

/** The envelope the service answers errors with. */
export function envelope(code: string, message = `stand-in ${code}`): Record<string, unknown> {
  return {
    error: message,
    code,
    details: null,
    timestamp: new Date().toISOString(),
    request_id: `req-${crypto.randomUUID()}`,
  };
}

export function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}
