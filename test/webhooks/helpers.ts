import { env } from "cloudflare:test";
import { expect } from "vitest";
import type { EventType, LicenseEvent } from "../../src/events/types.ts";
import { call, expectStatus } from "../helpers.ts";

export interface Received {
  path: string;
  status: number;
  headers: Record<string, string>;
  body: string;
  at: number;
}

/** A receiver path of its own for each test, so that tests do not see each other's requests. */
export function receiverPath(): string {
  return `/hooks/${crypto.randomUUID()}`;
}

export async function register(
  path: string,
  events: EventType[],
): Promise<{ endpoint: { endpoint_id: string; tenant_id: string }; secret: string }> {
  const response = await call<{
    endpoint: { endpoint_id: string; tenant_id: string };
    secret: string;
  }>("POST", "/webhooks", { body: { url: `${env.TEST_WEBHOOK_RECEIVER}${path}`, events } });
  expectStatus(response, 201);
  return response.body;
}

export async function received(path: string): Promise<Received[]> {
  const response = await fetch(
    `${env.TEST_WEBHOOK_RECEIVER}/__received?path=${encodeURIComponent(path)}`,
  );
  return (await response.json()) as Received[];
}

/** Requests that the receiver accepted (2xx) at a path. */
export async function accepted(path: string): Promise<Received[]> {
  return (await received(path)).filter((r) => r.status < 300);
}

export async function control(
  path: string,
  options: { fail_next?: number; fail_for_ms?: number },
): Promise<void> {
  const response = await fetch(`${env.TEST_WEBHOOK_RECEIVER}/__control`, {
    method: "POST",
    body: JSON.stringify({ path, ...options }),
  });
  expect(response.ok).toBe(true);
}

/** Polls until `check` returns a value, failing after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`nothing arrived within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits a while and returns what arrived, for assertions that nothing more does. */
export async function settle(ms = 1_500): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

export function licenseEvent(type: EventType, overrides: Partial<LicenseEvent> = {}): LicenseEvent {
  return {
    id: `evt_test_${crypto.randomUUID()}`,
    type,
    tenant_id: "default",
    occurred_at: new Date().toISOString(),
    data: { license_id: `lic_${crypto.randomUUID()}` },
    ...overrides,
  };
}

/** Checks a Standard Webhooks signature the way a receiver would, with WebCrypto. */
export async function signatureValid(secret: string, delivery: Received): Promise<boolean> {
  const id = delivery.headers["webhook-id"];
  const timestamp = delivery.headers["webhook-timestamp"];
  const signatures = delivery.headers["webhook-signature"];
  if (!id || !timestamp || !signatures || !secret.startsWith("whsec_")) {
    return false;
  }
  const keyBytes = Uint8Array.from(atob(secret.slice("whsec_".length)), (c) => c.charCodeAt(0));
  const key = await crypto.subtle.importKey(
    "raw",
    keyBytes,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  for (const entry of signatures.split(" ")) {
    const [version, value] = entry.split(",");
    if (version !== "v1" || value === undefined) {
      continue;
    }
    const mac = Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
    const content = new TextEncoder().encode(`${id}.${timestamp}.${delivery.body}`);
    if (await crypto.subtle.verify("HMAC", key, mac, content)) {
      return true;
    }
  }
  return false;
}
