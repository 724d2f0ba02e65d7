import type { D1Migration } from "cloudflare:test";

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      TEST_FAILURE_VAULT_ADDR: string;
      TEST_FAILURE_VAULT_TOKEN: string;
      VAULT_NAMESPACE: string;
    }
  }
}
