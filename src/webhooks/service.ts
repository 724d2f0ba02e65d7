import type { Principal } from "../auth/principal.ts";
import { decodeBase64Url, EncodingError, encodeBase64Url } from "../crypto/encoding.ts";
import { ApiError } from "../errors.ts";
import type { CreateWebhook, WebhookDelivery, WebhookEndpoint } from "./schemas.ts";
import { newSecret } from "./signing.ts";
import type { DeliveryCursor } from "./store.ts";
import {
  disableEndpoint,
  findEndpoint,
  insertEndpoint,
  listDeliveries,
  listEndpoints,
} from "./store.ts";

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);
const DEFAULT_PAGE = 50;

/** https everywhere; plain http only to the local machine, and only where allowed. */
function checkUrl(url: string, allowLocalHttp: boolean): void {
  const parsed = new URL(url);
  if (parsed.username !== "" || parsed.password !== "") {
    throw new ApiError("INVALID_LICENSE", "invalid body: url must not carry credentials");
  }
  if (parsed.protocol === "https:") {
    return;
  }
  if (!(allowLocalHttp && LOCAL_HOSTS.has(parsed.hostname))) {
    throw new ApiError("INVALID_LICENSE", "invalid body: url must use https", {
      details: [{ path: "url", message: "must use https" }],
    });
  }
}

/** Registers an endpoint; its signing secret is returned here and never again. */
export async function createWebhook(
  db: D1Database,
  principal: Principal,
  request: CreateWebhook,
  options: { allowLocalHttp: boolean; now: number },
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  checkUrl(request.url, options.allowLocalHttp);
  const secret = newSecret();
  const row = {
    endpoint_id: `whe_${encodeBase64Url(crypto.getRandomValues(new Uint8Array(12)))}`,
    tenant_id: principal.tenantId,
    url: request.url,
    events: JSON.stringify(request.events),
    secret,
    created_at: new Date(options.now).toISOString(),
    created_by: principal.keyId,
    disabled_at: null,
  };
  await insertEndpoint(db, row);
  const { secret: _hidden, ...shown } = row;
  return { endpoint: { ...shown, events: request.events }, secret };
}

export async function tenantWebhooks(
  db: D1Database,
  principal: Principal,
): Promise<WebhookEndpoint[]> {
  return await listEndpoints(db, principal.tenantId);
}

export async function disableWebhook(
  db: D1Database,
  principal: Principal,
  endpointId: string,
  now: number,
): Promise<WebhookEndpoint> {
  const at = new Date(now).toISOString();
  const endpoint = await disableEndpoint(db, principal.tenantId, endpointId, at);
  if (!endpoint) {
    throw new ApiError("NOT_FOUND", `webhook ${endpointId} does not exist`);
  }
  return endpoint;
}

function encodeCursor(delivery: WebhookDelivery): string {
  const text = JSON.stringify([delivery.created_at, delivery.event_id]);
  return encodeBase64Url(new TextEncoder().encode(text));
}

function decodeCursor(cursor: string): DeliveryCursor {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(decodeBase64Url(cursor)));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === "string" &&
      typeof value[1] === "string"
    ) {
      return { createdAt: value[0], eventId: value[1] };
    }
  } catch (error) {
    if (!(error instanceof EncodingError || error instanceof SyntaxError)) {
      throw error;
    }
  }
  throw new ApiError("INVALID_LICENSE", "invalid query: cursor is not one this API returned");
}

/** One page of an endpoint's delivery log, newest first. */
export async function webhookDeliveries(
  db: D1Database,
  principal: Principal,
  endpointId: string,
  page: { cursor?: string | undefined; limit?: number | undefined; maxLimit: number },
): Promise<{ deliveries: WebhookDelivery[]; next_cursor: string | null }> {
  if (!(await findEndpoint(db, principal.tenantId, endpointId))) {
    throw new ApiError("NOT_FOUND", `webhook ${endpointId} does not exist`);
  }
  const limit = Math.min(page.limit ?? DEFAULT_PAGE, page.maxLimit);
  const cursor = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
  // One row more than asked tells whether another page follows.
  const rows = await listDeliveries(db, endpointId, cursor, limit + 1);
  const deliveries = rows.slice(0, limit);
  const last = deliveries[deliveries.length - 1];
  return {
    deliveries,
    next_cursor: rows.length > limit && last ? encodeCursor(last) : null,
  };
}
