import { loadConfig } from "../config.ts";
import type { LicenseEvent } from "../events/types.ts";
import { log } from "../http/log.ts";
import { signPayload } from "./signing.ts";
import type { DeliveryKey, EndpointRow } from "./store.ts";
import { claimDelivery, markDead, recordAttempt, subscribedEndpoints } from "./store.ts";

/** The queue the main queue's consumer hands messages to once their retries are spent. */
export const DEAD_LETTER_QUEUE = "license-events-dlq";

const TIMEOUT_MS = 10_000;
/** Longer than one attempt may take, so that a claim outlives the attempt that made it. */
const LEASE_MS = TIMEOUT_MS + 5_000;
const MAX_DELAY_SECONDS = 3_600;
const ERROR_MAX_CHARS = 500;

/** Exponential backoff from the message's attempt count (1 on its first delivery). */
export function retryDelaySeconds(baseSeconds: number, attempts: number): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 20);
  return Math.min(baseSeconds * 2 ** exponent, MAX_DELAY_SECONDS);
}

function describe(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, ERROR_MAX_CHARS);
}

/** Sends one signed request; resolves to the response status, or throws on network failure. */
async function post(endpoint: EndpointRow, event: LicenseEvent, now: number): Promise<number> {
  const body = JSON.stringify(event);
  const timestamp = Math.floor(now / 1_000);
  const response = await fetch(endpoint.url, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "Webhook-Id": event.id,
      "Webhook-Timestamp": String(timestamp),
      "Webhook-Signature": await signPayload(endpoint.secret, event.id, timestamp, body),
    },
    body,
    // A redirect is not followed: the signed request goes only where it was registered to go.
    redirect: "manual",
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  await response.body?.cancel();
  return response.status;
}

/**
 * Delivers an event to one endpoint unless the log says it was delivered (or is being
 * delivered) already. Resolves to false when the attempt failed and should be retried.
 */
async function deliverTo(
  db: D1Database,
  endpoint: EndpointRow,
  event: LicenseEvent,
  retryDelay: number,
): Promise<boolean> {
  const key: DeliveryKey = {
    eventId: event.id,
    endpointId: endpoint.endpoint_id,
    tenantId: event.tenant_id,
    eventType: event.type,
  };
  const now = Date.now();
  const claim = await claimDelivery(
    db,
    key,
    new Date(now).toISOString(),
    new Date(now + LEASE_MS).toISOString(),
  );
  if (!claim) {
    return true;
  }
  let status: number | null = null;
  let error: string | null = null;
  try {
    status = await post(endpoint, event, now);
  } catch (failure) {
    error = describe(failure);
  }
  const delivered = status !== null && status >= 200 && status < 300;
  if (!delivered && error === null) {
    error = `HTTP ${status}`;
  }
  const at = Date.now();
  await recordAttempt(db, key, {
    delivered,
    status,
    error,
    at: new Date(at).toISOString(),
    nextAttemptAt: delivered ? null : new Date(at + retryDelay * 1_000).toISOString(),
  });
  if (!delivered) {
    log("warn", "webhook delivery failed", {
      event_id: event.id,
      endpoint_id: endpoint.endpoint_id,
      status,
      error,
    });
  }
  return delivered;
}

async function deliverMessage(
  message: Message<LicenseEvent>,
  env: Env,
  baseSeconds: number,
): Promise<void> {
  const event = message.body;
  const delaySeconds = retryDelaySeconds(baseSeconds, message.attempts);
  try {
    const endpoints = await subscribedEndpoints(env.DB, event.tenant_id, event.type);
    const results = await Promise.all(
      endpoints.map((endpoint) => deliverTo(env.DB, endpoint, event, delaySeconds)),
    );
    if (results.every(Boolean)) {
      message.ack();
    } else {
      // Endpoints that succeeded are skipped on the retry: the log records them as delivered.
      message.retry({ delaySeconds });
    }
  } catch (error) {
    log("error", "webhook message failed", { event_id: event.id, error: describe(error) });
    message.retry({ delaySeconds });
  }
}

/** Records the deliveries of events the queue gave up on as dead; they are not sent again. */
async function buryMessage(message: Message<LicenseEvent>, env: Env): Promise<void> {
  try {
    const dead = await markDead(env.DB, message.body.id);
    log("warn", "webhook event dead-lettered", { event_id: message.body.id, deliveries: dead });
    message.ack();
  } catch (error) {
    log("error", "dead-letter bookkeeping failed", { error: describe(error) });
    message.retry();
  }
}

/** The queue handler: delivers license events to webhooks, or buries the dead-lettered ones. */
export async function deliverBatch(batch: MessageBatch<LicenseEvent>, env: Env): Promise<void> {
  if (batch.queue === DEAD_LETTER_QUEUE) {
    await Promise.all(batch.messages.map((message) => buryMessage(message, env)));
    return;
  }
  const baseSeconds = loadConfig(env).webhooks.retryBaseSeconds;
  await Promise.all(batch.messages.map((message) => deliverMessage(message, env, baseSeconds)));
}
