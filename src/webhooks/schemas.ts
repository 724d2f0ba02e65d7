import { z } from "zod";
import { EVENT_TYPES } from "../events/types.ts";

export const createWebhookSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, error: "must be an https URL" }).max(2_048),
    events: z
      .array(z.enum(EVENT_TYPES))
      .min(1, "must name at least one event type")
      .transform((events) => [...new Set(events)]),
  })
  .strict()
  .meta({ id: "CreateWebhookRequest" });

export const webhookIdParamSchema = z.object({
  id: z.string().regex(/^whe_[A-Za-z0-9_-]{16}$/, "must be a webhook id such as whe_AbC..."),
});

export const deliveriesQuerySchema = z
  .object({
    cursor: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,400}$/, "must be a cursor from a previous page")
      .optional(),
    limit: z.coerce.number().int().min(1).max(1_000).optional(),
  })
  .strict();

export const webhookEndpointSchema = z
  .object({
    endpoint_id: z.string(),
    tenant_id: z.string(),
    url: z.string(),
    events: z.array(z.enum(EVENT_TYPES)),
    created_at: z.string(),
    created_by: z.string(),
    disabled_at: z.string().nullable(),
  })
  .meta({ id: "WebhookEndpoint" });

export const createWebhookResponseSchema = z
  .object({ success: z.literal(true), endpoint: webhookEndpointSchema, secret: z.string() })
  .meta({ id: "CreateWebhookResponse" });

export const webhookListResponseSchema = z
  .object({ endpoints: z.array(webhookEndpointSchema) })
  .meta({ id: "WebhookList" });

export const webhookDeliverySchema = z
  .object({
    event_id: z.string(),
    endpoint_id: z.string(),
    event_type: z.string(),
    state: z.enum(["pending", "delivered", "failed", "dead"]),
    attempts: z.number(),
    last_status: z.number().nullable(),
    last_error: z.string().nullable(),
    next_attempt_at: z.string().nullable(),
    delivered_at: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: "WebhookDelivery" });

export const deliveryListResponseSchema = z
  .object({ deliveries: z.array(webhookDeliverySchema), next_cursor: z.string().nullable() })
  .meta({ id: "WebhookDeliveryList" });

export type CreateWebhook = z.output<typeof createWebhookSchema>;
export type WebhookEndpoint = z.output<typeof webhookEndpointSchema>;
export type WebhookDelivery = z.output<typeof webhookDeliverySchema>;
