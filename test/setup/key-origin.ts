import { createServer } from "node:http";

/**
 * Serves the public keys the config generated, where the Worker under test fetches them: the
 * JWT key set at `/jwks.json` and the Cloudflare Access certs at `/cdn-cgi/access/certs`.
 * `GET /count` answers how often each path (with its query) was requested, so tests can tell
 * that a key set is fetched once rather than per request. Other paths are 404.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const documents = new Map([
    ["/jwks.json", String(process.env.JWKS_TEST_KEYS)],
    ["/cdn-cgi/access/certs", String(process.env.ACCESS_TEST_CERTS)],
  ]);
  const counts: Record<string, number> = {};

  const server = createServer((request, response) => {
    const target = request.url ?? "/";
    const path = new URL(target, "http://localhost").pathname;
    if (path === "/count") {
      response.writeHead(200, { "Content-Type": "application/json" });
      response.end(JSON.stringify(counts));
      return;
    }
    counts[target] = (counts[target] ?? 0) + 1;
    const document = documents.get(path);
    if (request.method !== "GET" || document === undefined) {
      response.writeHead(404, { "Content-Type": "application/json" });
      response.end('{"error":"not found"}');
      return;
    }
    response.writeHead(200, { "Content-Type": "application/json" });
    response.end(document);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(Number(process.env.JWKS_TEST_PORT), "127.0.0.1", () => resolve());
  });

  return async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}
