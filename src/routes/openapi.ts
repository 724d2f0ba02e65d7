import { Hono } from "hono";
import { z } from "zod";
import { auditQuerySchema } from "../audit/schemas.ts";
import {
  createCredentialSchema,
  createTenantSchema,
  tenantQuerySchema,
} from "../credentials/schemas.ts";
import { ERROR_STATUS } from "../errors.ts";
import type { AppEnv } from "../http/env.ts";
import { createKeySchema, minVersionSchema } from "../keys/schemas.ts";
import {
  batchIssueRequestSchema,
  issueRequestSchema,
  licenseSchema,
  listQuerySchema,
  renewRequestSchema,
  revokeRequestSchema,
  stateChangeRequestSchema,
  validateRequestSchema,
  validationResultSchema,
} from "../licenses/schemas.ts";
import {
  createWebhookResponseSchema,
  createWebhookSchema,
  deliveriesQuerySchema,
  deliveryListResponseSchema,
  webhookListResponseSchema,
} from "../webhooks/schemas.ts";
import { API_VERSION } from "./health.ts";

const errorSchema = z
  .object({
    error: z.string(),
    code: z.enum(Object.keys(ERROR_STATUS) as [keyof typeof ERROR_STATUS]),
    details: z.unknown(),
    timestamp: z.string(),
    request_id: z.string(),
  })
  .meta({ id: "Error" });

const licenseResponse = z.object({ success: z.boolean(), license: licenseSchema });

interface Operation {
  method: "get" | "post" | "delete";
  path: string;
  summary: string;
  auth: "required" | "optional" | "none";
  body?: z.ZodType;
  query?: z.ZodObject;
  response: z.ZodType;
}

const OPERATIONS: Operation[] = [
  {
    method: "get",
    path: "/health",
    summary: "Service and Vault status",
    auth: "none",
    response: z.unknown(),
  },
  {
    method: "post",
    path: "/license/issue",
    summary: "Issue a signed license",
    auth: "required",
    body: issueRequestSchema,
    response: licenseResponse,
  },
  {
    method: "post",
    path: "/license/batch/issue",
    summary: "Issue many licenses with one Vault round trip",
    auth: "required",
    body: batchIssueRequestSchema,
    response: z.unknown(),
  },
  {
    method: "post",
    path: "/license/validate",
    summary: "Check a license's signature and state",
    auth: "optional",
    body: validateRequestSchema,
    response: validationResultSchema,
  },
  {
    method: "post",
    path: "/license/renew",
    summary: "Replace a license with a renewed one",
    auth: "required",
    body: renewRequestSchema,
    response: licenseResponse,
  },
  {
    method: "post",
    path: "/license/revoke",
    summary: "Revoke a license, now or at a later date",
    auth: "required",
    body: revokeRequestSchema,
    response: z.unknown(),
  },
  {
    method: "post",
    path: "/license/suspend",
    summary: "Suspend a license",
    auth: "required",
    body: stateChangeRequestSchema,
    response: z.unknown(),
  },
  {
    method: "post",
    path: "/license/reinstate",
    summary: "Lift a suspension",
    auth: "required",
    body: stateChangeRequestSchema,
    response: z.unknown(),
  },
  {
    method: "get",
    path: "/license/list",
    summary: "List licenses",
    auth: "required",
    query: listQuerySchema,
    response: z.unknown(),
  },
  {
    method: "get",
    path: "/license/{id}",
    summary: "One license with its status history",
    auth: "required",
    response: z.unknown(),
  },
  {
    method: "post",
    path: "/credentials",
    summary: "Create an API key; its secret is shown once",
    auth: "required",
    body: createCredentialSchema,
    response: z.unknown(),
  },
  {
    method: "get",
    path: "/credentials",
    summary: "List the tenant's API keys",
    auth: "required",
    query: tenantQuerySchema,
    response: z.unknown(),
  },
  {
    method: "delete",
    path: "/credentials/{id}",
    summary: "Revoke an API key",
    auth: "required",
    query: tenantQuerySchema,
    response: z.unknown(),
  },
  {
    method: "post",
    path: "/tenants",
    summary: "Create a tenant (operators only)",
    auth: "required",
    body: createTenantSchema,
    response: z.unknown(),
  },
  {
    method: "get",
    path: "/tenants",
    summary: "List tenants",
    auth: "required",
    response: z.unknown(),
  },
  {
    method: "get",
    path: "/keys",
    summary: "The tenant's signing key",
    auth: "required",
    response: z.unknown(),
  },
  {
    method: "post",
    path: "/keys",
    summary: "Create the tenant's signing key in Vault Transit",
    auth: "required",
    body: createKeySchema,
    response: z.unknown(),
  },
  {
    method: "post",
    path: "/keys/rotate",
    summary: "Rotate the signing key; new licenses use the new version at once",
    auth: "required",
    response: z.unknown(),
  },
  {
    method: "post",
    path: "/keys/min-version",
    summary: "Retire key versions below a minimum",
    auth: "required",
    body: minVersionSchema,
    response: z.unknown(),
  },
  {
    method: "get",
    path: "/.well-known/jwks.json",
    summary: "Public keys that verify license tokens offline",
    auth: "none",
    response: z.unknown(),
  },
  {
    method: "post",
    path: "/webhooks",
    summary: "Register a webhook endpoint; its signing secret is shown once",
    auth: "required",
    body: createWebhookSchema,
    response: createWebhookResponseSchema,
  },
  {
    method: "get",
    path: "/webhooks",
    summary: "List the tenant's webhook endpoints",
    auth: "required",
    response: webhookListResponseSchema,
  },
  {
    method: "delete",
    path: "/webhooks/{id}",
    summary: "Disable a webhook endpoint",
    auth: "required",
    response: z.unknown(),
  },
  {
    method: "get",
    path: "/webhooks/{id}/deliveries",
    summary: "The delivery log of a webhook endpoint, newest first",
    auth: "required",
    query: deliveriesQuerySchema,
    response: deliveryListResponseSchema,
  },
  {
    method: "get",
    path: "/audit",
    summary: "The tenant's audit trail, newest first",
    auth: "required",
    query: auditQuerySchema,
    response: z.unknown(),
  },
  {
    method: "get",
    path: "/audit/verify",
    summary: "Recompute the audit chain and its checkpoints",
    auth: "required",
    response: z.unknown(),
  },
  {
    method: "post",
    path: "/audit/checkpoints",
    summary: "Have Vault sign the audit chain's head now",
    auth: "required",
    response: z.unknown(),
  },
  {
    method: "get",
    path: "/metrics",
    summary: "Counters and latency histograms in Prometheus text format",
    auth: "required",
    response: z.unknown(),
  },
  {
    method: "get",
    path: "/health/detailed",
    summary: "Each dependency's state and latency",
    auth: "required",
    response: z.unknown(),
  },
];

/** JSON Schema 2020-12 (the dialect of OpenAPI 3.1) with shared parts as components. */
function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const generated = z.toJSONSchema(schema, { io: "input", unrepresentable: "any", cycles: "ref" });
  const { $schema: _dialect, ...rest } = generated;
  return JSON.parse(JSON.stringify(rest).replaceAll('"#/$defs/', '"#/components/schemas/'));
}

/** The OpenAPI 3.1 document, generated from the same zod schemas that check requests. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const schemas: Record<string, unknown> = {};
  const register = (schema: z.ZodType): Record<string, unknown> => {
    const { $defs, ...body } = jsonSchema(schema) as { $defs?: Record<string, unknown> };
    Object.assign(schemas, $defs ?? {});
    return body;
  };
  const errorRef = register(errorSchema);

  for (const op of OPERATIONS) {
    const parameters = Object.keys(op.query?.shape ?? {}).map((name) => ({
      name,
      in: "query",
      required: false,
      schema: { type: "string" },
    }));
    if (op.path.includes("{id}")) {
      parameters.push({ name: "id", in: "path", required: true, schema: { type: "string" } });
    }
    paths[op.path] ??= {};
    const errorResponse = { content: { "application/json": { schema: errorRef } } };
    paths[op.path] = {
      ...paths[op.path],
      [op.method]: {
        summary: op.summary,
        ...(op.auth === "none" ? { security: [] } : {}),
        ...(op.auth === "optional" ? { security: [{}, { bearer: [] }, { apiKey: [] }] } : {}),
        ...(parameters.length > 0 ? { parameters } : {}),
        ...(op.body
          ? {
              requestBody: {
                required: true,
                content: { "application/json": { schema: register(op.body) } },
              },
            }
          : {}),
        responses: {
          "200": {
            description: "Success",
            content: { "application/json": { schema: register(op.response) } },
          },
          default: { description: "Error", ...errorResponse },
        },
      },
    };
  }

  return {
    openapi: "3.1.0",
    info: { title: "Edge license authority", version: API_VERSION },
    security: [{ bearer: [] }, { apiKey: [] }],
    paths,
    components: {
      schemas,
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer" },
        apiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
      },
    },
  };
}

let cached: Record<string, unknown> | undefined;

export const openApiRoutes = new Hono<AppEnv>().get("/", (c) => {
  cached ??= openApiDocument();
  return c.json(cached, 200);
});
