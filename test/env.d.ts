import type { D1Migration } from "cloudflare:test";
import type { JWK } from "jose";

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      TEST_FAILURE_VAULT_ADDR: string;
      TEST_FAILURE_VAULT_TOKEN: string;
      VAULT_NAMESPACE: string;
      /** Origin of the Node server that serves the test key sets and `/count`. */
      TEST_KEY_ORIGIN: string;
      /** Its JWT key set: the public halves of the two JWT keys below. */
      TEST_JWKS_URL: string;
      TEST_JWT_PRIVATE_JWK: JWK;
      /** The public key of TEST_JWT_PRIVATE_JWK as PEM, for algorithm confusion tests. */
      TEST_JWT_PUBLIC_PEM: string;
      TEST_JWT_ES256_PRIVATE_JWK: JWK;
      /** Serves `/cdn-cgi/access/certs` with the public half of the Access key. */
      TEST_ACCESS_TEAM_DOMAIN: string;
      TEST_ACCESS_PRIVATE_JWK: JWK;
      /** Origin of the Node webhook receiver: `/__received`, `/__control`, any other path. */
      TEST_WEBHOOK_RECEIVER: string;
    }
  }
}
