import { Hono } from "hono";
import { every } from "hono/combine";
import { requireRole } from "../http/auth.ts";
import type { AppEnv } from "../http/env.ts";
import { rateLimit } from "../http/rate-limit.ts";
import { requirePrincipal } from "../http/services.ts";
import { valid } from "../http/validation.ts";
import {
  createWebhookSchema,
  deliveriesQuerySchema,
  webhookIdParamSchema,
} from "../webhooks/schemas.ts";
import {
  createWebhook,
  disableWebhook,
  tenantWebhooks,
  webhookDeliveries,
} from "../webhooks/service.ts";

const admins = every(requireRole(["admin"]), rateLimit("credentials", "closed"));

export const webhookRoutes = new Hono<AppEnv>()
  .post("/", admins, valid("json", createWebhookSchema), async (c) => {
    const created = await createWebhook(c.env.DB, requirePrincipal(c), c.req.valid("json"), {
      allowLocalHttp: c.get("config").webhooks.allowLocalHttp,
      now: Date.now(),
    });
    return c.json({ success: true, ...created }, 201);
  })
  .get("/", admins, async (c) => {
    const endpoints = await tenantWebhooks(c.env.DB, requirePrincipal(c));
    return c.json({ endpoints }, 200);
  })
  .delete("/:id", admins, valid("param", webhookIdParamSchema), async (c) => {
    const endpoint = await disableWebhook(
      c.env.DB,
      requirePrincipal(c),
      c.req.valid("param").id,
      Date.now(),
    );
    return c.json({ success: true, endpoint }, 200);
  })
  .get(
    "/:id/deliveries",
    admins,
    valid("param", webhookIdParamSchema),
    valid("query", deliveriesQuerySchema),
    async (c) => {
      const query = c.req.valid("query");
      const page = await webhookDeliveries(c.env.DB, requirePrincipal(c), c.req.valid("param").id, {
        cursor: query.cursor,
        limit: query.limit,
        maxLimit: c.get("config").listLimitMax,
      });
      return c.json(page, 200);
    },
  );
