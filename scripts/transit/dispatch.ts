import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import {
  errorReply,
  fieldBool,
  fieldInt,
  internalError,
  type JsonObject,
  parseGoBool,
  parseJsonObject,
  type Reply,
  readBody,
  unsupportedOperation,
  VaultError,
} from "./http.ts";
import { LIST_ALIAS } from "./listmethod.ts";
import type { Store } from "./store.ts";
import { health, routeSys, type ServerState, sealStatus } from "./sys.ts";
import { routeTransit } from "./transit.ts";

export interface HandlerContext {
  state: ServerState;
  store: Store;
  token: string;
  /** Aborted when the server closes, cutting short artificial latency. */
  closing: AbortSignal;
}

const DEV_PREFIX = "/__dev/";

function send(res: ServerResponse, reply: Reply): void {
  if (res.destroyed || res.headersSent) {
    return;
  }
  res.setHeader("Cache-Control", "no-store");
  if (reply.body === undefined) {
    if (reply.status !== 204) {
      res.setHeader("Content-Type", "application/json");
    }
    res.writeHead(reply.status).end();
    return;
  }
  const text = `${JSON.stringify(reply.body)}\n`;
  res.setHeader("Content-Type", "application/json");
  res.writeHead(reply.status).end(text);
}

function presentedToken(req: IncomingMessage): string | undefined {
  const header = req.headers["x-vault-token"];
  if (typeof header === "string" && header !== "") {
    return header;
  }
  const auth = req.headers.authorization;
  return auth?.startsWith("Bearer ") ? auth.slice("Bearer ".length).trim() : undefined;
}

function sameToken(a: string | undefined, b: string): boolean {
  const left = Buffer.from(a ?? "");
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function namespaceOf(req: IncomingMessage): string {
  const header = req.headers["x-vault-namespace"];
  return (typeof header === "string" ? header : "").replace(/^\/+|\/+$/g, "");
}

function operationOf(method: string, query: URLSearchParams): string {
  if (method === LIST_ALIAS) {
    return "LIST";
  }
  const list = query.get("list");
  return method === "GET" && list !== null && parseGoBool(list) === true ? "LIST" : method;
}

function devControl(state: ServerState, action: string, method: string, body: JsonObject): Reply {
  if (method === "GET" && action === "state") {
    const { sealed, standby, latencyMs } = state;
    return { status: 200, body: { sealed, standby, latency_ms: latencyMs } };
  }
  if (method !== "POST" && method !== "PUT") {
    throw unsupportedOperation();
  }
  if (action === "seal" || action === "unseal") {
    state.sealed = action === "seal";
  } else if (action === "standby") {
    state.standby = fieldBool(body, "standby", true);
  } else if (action === "latency") {
    const ms = fieldInt(body, "ms", 0);
    if (ms < 0) {
      throw new VaultError(400, ["ms must be a non-negative integer"]);
    }
    state.latencyMs = ms;
  } else {
    throw new VaultError(404, []);
  }
  return { status: 204 };
}

/** Request handling in the order Vault applies it: health, seal, token, then routing. */
export function createHandler(
  ctx: HandlerContext,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { state, store, token } = ctx;

  async function route(req: IncomingMessage, url: URL, text: string): Promise<Reply> {
    const method = req.method ?? "GET";
    const authorized = () => {
      if (!sameToken(presentedToken(req), token)) {
        throw new VaultError(403, ["permission denied"]);
      }
    };
    const body = () => (["POST", "PUT", "PATCH"].includes(method) ? parseJsonObject(text) : {});
    if (url.pathname.startsWith(DEV_PREFIX)) {
      authorized();
      return devControl(state, url.pathname.slice(DEV_PREFIX.length), method, body());
    }
    await sleep(state.latencyMs, undefined, { signal: ctx.closing });
    if (!url.pathname.startsWith("/v1/")) {
      throw new VaultError(404, []);
    }
    const path = decodeURIComponent(url.pathname.slice("/v1/".length));
    if (path === "sys/health") {
      if (method !== "GET" && method !== "HEAD") {
        throw unsupportedOperation();
      }
      return health(state, url.searchParams, method === "HEAD");
    }
    if (path === "sys/seal-status" && method === "GET") {
      return sealStatus(state, store);
    }
    if (state.sealed) {
      throw new VaultError(503, ["Vault is sealed"]);
    }
    authorized();
    const namespace = namespaceOf(req);
    const operation = operationOf(method, url.searchParams);
    if (path.startsWith("sys/")) {
      return routeSys(state, store, namespace, operation, path.slice(4), body());
    }
    const resolved = store.resolve(namespace, path);
    if (!resolved) {
      throw new VaultError(404, [`no handler for route "${path}". route entry not found.`]);
    }
    return routeTransit({ operation, ...resolved, body: body(), store });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let reply: Reply;
    try {
      const text = await readBody(req);
      reply = await route(req, new URL(req.url ?? "/", "http://dev.invalid"), text);
    } catch (e) {
      if (ctx.closing.aborted) {
        res.destroy();
        return;
      }
      reply = errorReply(
        e instanceof VaultError ? e : internalError(e instanceof Error ? e.message : String(e)),
      );
    }
    send(res, reply);
  }

  return handle;
}
