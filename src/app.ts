import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import { loadConfig } from "./config.ts";
import { ApiError } from "./errors.ts";
import type { AppEnv } from "./http/env.ts";
import { renderError } from "./http/errors.ts";
import { corsPolicy, limitBody, noStore, requireJson } from "./http/hardening.ts";
import { observability } from "./http/observability.ts";
import { requestId } from "./http/request-id.ts";
import { auditRoutes } from "./routes/audit.ts";
import { credentialRoutes } from "./routes/credentials.ts";
import { healthRoutes } from "./routes/health.ts";
import { jwksRoutes, keyRoutes } from "./routes/keys.ts";
import { licenseRoutes } from "./routes/licenses.ts";
import { openApiRoutes } from "./routes/openapi.ts";
import { detailedHealthRoutes, metricsRoutes } from "./routes/operations.ts";
import { tenantRoutes } from "./routes/tenants.ts";
import { webhookRoutes } from "./routes/webhooks.ts";

export function createApp() {
  const app = new Hono<AppEnv>();

  app.use(requestId);
  app.use(observability);
  app.use(secureHeaders());
  app.use(noStore);
  app.use(async (c, next) => {
    c.set("config", loadConfig(c.env));
    await next();
  });
  app.use(corsPolicy);
  app.use(limitBody);
  app.use(requireJson);

  app.route("/health/detailed", detailedHealthRoutes);
  app.route("/health", healthRoutes);
  app.route("/metrics", metricsRoutes);
  app.route("/openapi.json", openApiRoutes);
  app.route("/license", licenseRoutes);
  app.route("/credentials", credentialRoutes);
  app.route("/tenants", tenantRoutes);
  app.route("/keys", keyRoutes);
  app.route("/audit", auditRoutes);
  app.route("/.well-known/jwks.json", jwksRoutes);
  app.route("/webhooks", webhookRoutes);

  app.notFound((c) => {
    throw new ApiError("NOT_FOUND", `no route for ${c.req.method} ${c.req.path}`);
  });
  app.onError(renderError);
  return app;
}
