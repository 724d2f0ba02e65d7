import { generateKeyPairSync } from "node:crypto";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { freePort } from "./scripts/lib/net.ts";

// Integration tests run against the development Transit origin started by the global setup,
// or against a real Vault / OpenBao when VAULT_ADDR and VAULT_TOKEN are set.
const realVault = Boolean(process.env.VAULT_ADDR && process.env.VAULT_TOKEN);
if (!realVault) {
  process.env.TRANSIT_TEST_PORT ??= String(await freePort());
}
process.env.TRANSIT_TEST_TOKEN ??= "test-root-token";
// A second development origin that tests may seal or slow down without disturbing the others.
process.env.TRANSIT_FAILURE_PORT ??= String(await freePort());
const vaultAddr = realVault
  ? String(process.env.VAULT_ADDR)
  : `http://127.0.0.1:${process.env.TRANSIT_TEST_PORT}`;
const vaultToken = String(realVault ? process.env.VAULT_TOKEN : process.env.TRANSIT_TEST_TOKEN);

/**
 * A signing key pair for test tokens, as JWKs with `kid`, `alg` and `use`, plus the public key
 * as PEM. Kept in the environment so that every read of this file and the global setup, which
 * serves the public halves, agree on the keys.
 */
function testKeyPair(kid: string, alg: "RS256" | "ES256") {
  const variable = `TEST_KEY_PAIR_${kid.toUpperCase().replace(/-/g, "_")}`;
  if (!process.env[variable]) {
    const { privateKey, publicKey } =
      alg === "RS256"
        ? generateKeyPairSync("rsa", { modulusLength: 2048 })
        : generateKeyPairSync("ec", { namedCurve: "P-256" });
    const meta = { kid, alg, use: "sig" };
    process.env[variable] = JSON.stringify({
      privateJwk: { ...privateKey.export({ format: "jwk" }), ...meta },
      publicJwk: { ...publicKey.export({ format: "jwk" }), ...meta },
      publicPem: publicKey.export({ format: "pem", type: "spki" }),
    });
  }
  return JSON.parse(String(process.env[variable])) as {
    privateJwk: Record<string, string>;
    publicJwk: Record<string, string>;
    publicPem: string;
  };
}

// Bearer JWTs and Cloudflare Access assertions are checked against key sets the global setup
// serves from Node, since the Worker under test cannot reach the internet.
const jwtRs256 = testKeyPair("jwt-rs256", "RS256");
const jwtEs256 = testKeyPair("jwt-es256", "ES256");
const accessRs256 = testKeyPair("access-rs256", "RS256");
process.env.JWKS_TEST_PORT ??= String(await freePort());
process.env.JWKS_TEST_KEYS = JSON.stringify({ keys: [jwtRs256.publicJwk, jwtEs256.publicJwk] });
process.env.ACCESS_TEST_CERTS = JSON.stringify({ keys: [accessRs256.publicJwk] });
const keyOrigin = `http://127.0.0.1:${process.env.JWKS_TEST_PORT}`;
// The receiver that webhook tests register as an endpoint (global setup webhook-receiver.ts).
process.env.WEBHOOK_RECEIVER_PORT ??= String(await freePort());

const migrations = await readD1Migrations(new URL("./migrations", import.meta.url).pathname);

export default defineConfig({
  test: {
    // The Worker logs every request; only warnings and errors help when a test fails.
    onConsoleLog: (log) => !log.includes('"level":"info"'),
    projects: [
      {
        plugins: [
          cloudflareTest({
            main: "./src/index.ts",
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                VAULT_ADDR: vaultAddr,
                VAULT_TOKEN: vaultToken,
                VAULT_NAMESPACE: process.env.VAULT_NAMESPACE ?? "",
                TRANSIT_KEY: "licensing-test",
                ADMIN_API_KEY: "test-admin-key-0123456789abcdef0123456789",
                TEST_MIGRATIONS: migrations,
                TEST_FAILURE_VAULT_ADDR: `http://127.0.0.1:${process.env.TRANSIT_FAILURE_PORT}`,
                TEST_FAILURE_VAULT_TOKEN: process.env.TRANSIT_TEST_TOKEN,
                TEST_KEY_ORIGIN: keyOrigin,
                TEST_JWKS_URL: `${keyOrigin}/jwks.json`,
                TEST_JWT_PRIVATE_JWK: jwtRs256.privateJwk,
                TEST_JWT_PUBLIC_PEM: jwtRs256.publicPem,
                TEST_JWT_ES256_PRIVATE_JWK: jwtEs256.privateJwk,
                TEST_ACCESS_TEAM_DOMAIN: keyOrigin,
                TEST_ACCESS_PRIVATE_JWK: accessRs256.privateJwk,
                TEST_WEBHOOK_RECEIVER: `http://127.0.0.1:${process.env.WEBHOOK_RECEIVER_PORT}`,
                WEBHOOK_ALLOW_LOCAL_HTTP: "true",
                WEBHOOK_RETRY_BASE_SECONDS: "1",
              },
              // Webhook tests wait on real queue deliveries: small batches without the batch
              // timeout of production, and fewer retries, so that dead-lettering takes seconds.
              queueConsumers: {
                "license-events": {
                  maxBatchSize: 10,
                  maxBatchTimeout: 0.05,
                  maxRetries: 3,
                  deadLetterQueue: "license-events-dlq",
                },
                "license-events-dlq": { maxBatchSize: 10, maxBatchTimeout: 0.05 },
              },
            },
          }),
        ],
        test: {
          name: "workers",
          include: ["test/**/*.test.ts"],
          exclude: ["test/scripts/**"],
          setupFiles: ["./test/setup/apply-migrations.ts"],
          globalSetup: [
            "./test/setup/transit-origin.ts",
            "./test/setup/key-origin.ts",
            "./test/setup/webhook-receiver.ts",
          ],
        },
      },
      {
        test: {
          name: "node",
          environment: "node",
          include: ["test/scripts/**/*.test.ts"],
          testTimeout: 60_000,
        },
      },
    ],
  },
});
