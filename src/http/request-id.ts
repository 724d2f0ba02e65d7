import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./env.ts";

const INCOMING_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** Names every request: a caller's well-formed X-Request-Id is kept, otherwise a new one. */
export const requestId = createMiddleware<AppEnv>(async (c, next) => {
  const incoming = c.req.header("X-Request-Id");
  const id = incoming && INCOMING_ID.test(incoming) ? incoming : crypto.randomUUID();
  c.set("requestId", id);
  await next();
  c.header("X-Request-Id", id);
});
