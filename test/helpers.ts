import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { expect } from "vitest";
import worker from "../src/index.ts";

export const ADMIN_KEY = env.ADMIN_API_KEY;

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

type Json = Record<string, unknown>;

/**
 * Calls the Worker as a client would. `env` overrides bindings for this request only, which is
 * how tests point the Worker at a sealed, slow or unreachable Vault.
 */
export async function call<T = Json>(
  method: string,
  path: string,
  options: {
    body?: unknown;
    key?: string | null;
    headers?: Record<string, string>;
    env?: Partial<Env>;
    /** Sends the body with exactly the headers given, without a JSON Content-Type. */
    rawContentType?: boolean;
  } = {},
): Promise<ApiResponse<T>> {
  const headers = new Headers(options.headers);
  const key = options.key === undefined ? ADMIN_KEY : options.key;
  if (key !== null) {
    headers.set("Authorization", `Bearer ${key}`);
  }
  let body: string | undefined;
  if (options.body !== undefined) {
    if (!options.rawContentType) {
      headers.set("Content-Type", "application/json");
    }
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
  }
  const request = new Request(`https://licenses.test${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    request as Request<unknown, IncomingRequestCfProperties>,
    options.env ? { ...env, ...options.env } : env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { unparsed: text };
  }
  return { status: response.status, headers: response.headers, body: parsed as T };
}

/** Asserts a status and prints the body when it is not the one expected. */
export function expectStatus(response: ApiResponse<unknown>, status: number): void {
  expect(response.status, JSON.stringify(response.body, null, 2)).toBe(status);
}

/** Asserts the error envelope with its code. */
export function expectError(response: ApiResponse<unknown>, status: number, code: string): void {
  expectStatus(response, status);
  expect(response.body).toMatchObject({
    code,
    error: expect.any(String),
    timestamp: expect.any(String),
    request_id: response.headers.get("X-Request-Id"),
  });
}

export function daysFromNow(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

export interface LicenseDoc {
  license_id: string;
  customer: string;
  modules: string[];
  expires_at: string;
  metadata: Record<string, unknown>;
  signature: string;
  key_version: number;
  renewed_from?: string;
  [field: string]: unknown;
}

export async function issue(
  overrides: Json = {},
  options: { env?: Partial<Env>; key?: string } = {},
): Promise<LicenseDoc> {
  const response = await call<{ license: LicenseDoc }>("POST", "/license/issue", {
    body: {
      customer: `acme-${crypto.randomUUID()}`,
      modules: ["core", "reports"],
      expires_at: daysFromNow(30),
      metadata: { seats: 25, plan: "team" },
      ...overrides,
    },
    ...options,
  });
  expectStatus(response, 201);
  return response.body.license;
}

export async function validate(
  license: unknown,
  module?: string,
  options: { env?: Partial<Env> } = {},
): Promise<ApiResponse> {
  return await call("POST", "/license/validate", {
    body: module === undefined ? { license } : { license, module },
    key: null,
    ...options,
  });
}

/** Bindings that point the Worker at the development origin reserved for failure tests. */
export function failureVault(): Partial<Env> {
  return { VAULT_ADDR: env.TEST_FAILURE_VAULT_ADDR, VAULT_TOKEN: env.TEST_FAILURE_VAULT_TOKEN };
}

/** Flips a switch of a development origin (seal, unseal, latency). */
export async function devControl(
  action: "seal" | "unseal" | "latency",
  body: Json = {},
): Promise<void> {
  const response = await fetch(`${env.TEST_FAILURE_VAULT_ADDR}/__dev/${action}`, {
    method: "POST",
    headers: { "X-Vault-Token": env.TEST_FAILURE_VAULT_TOKEN, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.ok, await response.clone().text()).toBe(true);
}
