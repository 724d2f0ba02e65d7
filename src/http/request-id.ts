import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./env.ts";
import { log } from "./log.ts";

const INCOMING_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** Names every request: a caller's well-formed X-Request-Id is kept, otherwise a new one. */
export const requestId = createMiddleware<AppEnv>(async (c, next) => {
  const incoming = c.req.header("X-Request-Id");
  const id = incoming && INCOMING_ID.test(incoming) ? incoming : crypto.randomUUID();
  c.set("requestId", id);
  const started = Date.now();

  await next();

  c.header("X-Request-Id", id);
  log("info", "request", {
    request_id: id,
    method: c.req.method,
    path: c.req.path,
    status: c.res.status,
    duration_ms: Date.now() - started,
    principal: c.get("principal")?.keyId,
  });
});
