import { createServer } from "node:http";

interface Received {
  path: string;
  status: number;
  headers: Record<string, string>;
  body: string;
  at: number;
}

/**
 * A webhook receiver for the delivery tests. It answers 204 to any POST and records it, with
 * headers and raw body, per path. `POST /__control {path, fail_next?, fail_for_ms?}` makes the
 * next N requests to that path, or those in the next milliseconds, fail with 503 (still
 * recorded, with the status given). `GET /__received?path=` lists what a path received.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const received: Received[] = [];
  const failures = new Map<string, { next: number; until: number }>();

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const url = new URL(request.url ?? "/", "http://localhost");
      const body = Buffer.concat(chunks).toString("utf8");
      const reply = (status: number, json?: unknown) => {
        response.writeHead(status, { "Content-Type": "application/json" });
        response.end(json === undefined ? "" : JSON.stringify(json));
      };
      if (url.pathname === "/__received") {
        const path = url.searchParams.get("path");
        reply(
          200,
          received.filter((r) => path === null || r.path === path),
        );
        return;
      }
      if (url.pathname === "/__control") {
        const control = JSON.parse(body) as {
          path: string;
          fail_next?: number;
          fail_for_ms?: number;
        };
        failures.set(control.path, {
          next: control.fail_next ?? 0,
          until: control.fail_for_ms === undefined ? 0 : Date.now() + control.fail_for_ms,
        });
        reply(200, { ok: true });
        return;
      }
      const failure = failures.get(url.pathname);
      let status = 204;
      if (failure && (failure.next > 0 || Date.now() < failure.until)) {
        failure.next = Math.max(failure.next - 1, 0);
        status = 503;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        headers[name] = Array.isArray(value) ? value.join(", ") : String(value);
      }
      received.push({ path: url.pathname, status, headers, body, at: Date.now() });
      reply(status);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(Number(process.env.WEBHOOK_RECEIVER_PORT), "127.0.0.1", () => resolve());
  });

  return async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}
