import type { Server } from "node:http";
import type { Socket } from "node:net";
import { duplexPair } from "node:stream";

/**
 * Vault clients send the non-standard LIST method, which Node's HTTP parser rejects before any
 * handler runs. Connections are therefore fed to the HTTP server through a rewriter that
 * renames a leading "LIST " to "LINK " (same length); the handler reads LINK as LIST.
 * The rewriter follows request framing (Content-Length) so that only request lines are
 * touched; after a chunked request body it stops rewriting for that connection.
 */
export const LIST_ALIAS = "LINK";

const MAX_HEAD = 64 * 1024;

type State = "start" | "head" | "body" | "opaque";

export function createListRewriter(): (chunk: Buffer) => Buffer {
  let state: State = "start";
  let held = Buffer.alloc(0);
  let head = "";
  let remaining = 0;
  return (chunk) => {
    const input = held.length > 0 ? Buffer.concat([held, chunk]) : chunk;
    held = Buffer.alloc(0);
    const out: Buffer[] = [];
    let i = 0;
    while (i < input.length) {
      if (state === "opaque") {
        out.push(input.subarray(i));
        break;
      }
      if (state === "start") {
        if (input.length - i < 5) {
          held = Buffer.from(input.subarray(i));
          break;
        }
        if (input.toString("latin1", i, i + 5) === "LIST ") {
          out.push(Buffer.from(`${LIST_ALIAS} `, "latin1"));
          i += 5;
        }
        state = "head";
        head = "";
        continue;
      }
      if (state === "head") {
        const before = head.length;
        head += input.toString("latin1", i);
        const end = head.indexOf("\r\n\r\n", Math.max(0, before - 3));
        if (end < 0) {
          out.push(input.subarray(i));
          if (head.length > MAX_HEAD) {
            state = "opaque";
          }
          break;
        }
        const consumed = end + 4 - before;
        out.push(input.subarray(i, i + consumed));
        i += consumed;
        const headers = head.slice(0, end);
        if (/^transfer-encoding:[^\r\n]*chunked/im.test(headers)) {
          state = "opaque";
        } else {
          remaining = Number(/^content-length:[ \t]*(\d+)/im.exec(headers)?.[1] ?? "0");
          state = remaining > 0 ? "body" : "start";
        }
        continue;
      }
      const n = Math.min(remaining, input.length - i);
      out.push(input.subarray(i, i + n));
      i += n;
      remaining -= n;
      if (remaining === 0) {
        state = "start";
      }
    }
    return out.length === 1 && out[0] ? out[0] : Buffer.concat(out);
  };
}

/** Hands a raw TCP socket to `server` through the LIST rewriter. */
export function attachConnection(server: Server, socket: Socket): void {
  const [inner, outer] = duplexPair();
  const rewrite = createListRewriter();
  socket.on("data", (chunk: Buffer) => {
    const rewritten = rewrite(chunk);
    if (rewritten.length > 0) {
      outer.write(rewritten);
    }
  });
  socket.on("end", () => outer.end());
  socket.on("error", () => outer.destroy());
  socket.on("close", () => outer.destroy());
  outer.on("data", (chunk: Buffer) => socket.write(chunk));
  outer.on("end", () => socket.end());
  outer.on("error", () => socket.destroy());
  server.emit("connection", inner);
}
