import type { Principal } from "../auth/principal.ts";
import type { Config } from "../config.ts";
import type { IdempotencyRecord } from "../licenses/context.ts";

/** The Hono environment of the app: bindings plus what middleware puts on each request. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    config: Config;
    idempotency: IdempotencyRecord | undefined;
    /** Time this request spent waiting for Vault, for its log line. */
    vaultMs: number | undefined;
    principal: Principal | undefined;
  };
}
