import { createServer } from "node:net";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/** Asks the OS for a free loopback port, so parallel runs on one machine do not collide. */
async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

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

const migrations = await readD1Migrations(new URL("./migrations", import.meta.url).pathname);

export default defineConfig({
  test: {
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
              },
            },
          }),
        ],
        test: {
          name: "workers",
          include: ["test/**/*.test.ts"],
          exclude: ["test/scripts/**"],
          setupFiles: ["./test/setup/apply-migrations.ts"],
          globalSetup: ["./test/setup/transit-origin.ts"],
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
