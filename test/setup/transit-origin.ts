import { provisionTransit } from "../../scripts/provision-transit.ts";
import { startTransitServer } from "../../scripts/transit/server.ts";
import { VAULT_KEY_TYPES } from "../../src/crypto/verify.ts";

/** The key the Worker under test issues with, and one key per type for the signing tests. */
export const TEST_KEYS = [
  { name: "licensing-test", type: "ed25519" },
  ...VAULT_KEY_TYPES.map((type) => ({ name: `licensing-test-${type}`, type })),
];

/**
 * Starts the development Transit origin on the port the config chose, unless the tests are
 * pointed at a real Vault, and creates the keys the tests use in either case. A second
 * development origin, with the same keys, is the one failure tests seal and slow down.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const realAddr = process.env.VAULT_ADDR;
  const realToken = process.env.VAULT_TOKEN;
  let stop = async (): Promise<void> => {};
  let addr: string;
  let token: string;
  if (realAddr && realToken) {
    addr = realAddr;
    token = realToken;
  } else {
    token = String(process.env.TRANSIT_TEST_TOKEN);
    const server = await startTransitServer({
      host: "127.0.0.1",
      port: Number(process.env.TRANSIT_TEST_PORT),
      token,
    });
    addr = server.url;
    stop = () => server.close();
  }
  await provisionTransit({
    addr,
    token,
    namespace: process.env.VAULT_NAMESPACE,
    mount: "transit",
    keys: TEST_KEYS,
  });

  const failureToken = String(process.env.TRANSIT_TEST_TOKEN);
  const failure = await startTransitServer({
    host: "127.0.0.1",
    port: Number(process.env.TRANSIT_FAILURE_PORT),
    token: failureToken,
  });
  await provisionTransit({
    addr: failure.url,
    token: failureToken,
    mount: "transit",
    keys: [{ name: "licensing-test", type: "ed25519" }],
  });

  return async () => {
    await Promise.all([stop(), failure.close()]);
  };
}
