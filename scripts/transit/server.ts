import { randomBytes, randomUUID } from "node:crypto";
import { realpathSync } from "node:fs";
import { createServer } from "node:http";
import { createServer as createTcpServer, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { createHandler } from "./dispatch.ts";
import type { JsonObject } from "./http.ts";
import { attachConnection } from "./listmethod.ts";
import { Store } from "./store.ts";
import type { ServerState } from "./sys.ts";

/**
 * A development origin that speaks HashiCorp Vault's HTTP API for the transit signing
 * endpoints, so clients can be exercised without a Vault binary. Not a security boundary:
 * keys live in memory or in a plain JSON state file.
 *
 *   node scripts/transit/server.ts [--port 8200] [--host 127.0.0.1] [--token T]
 *                                  [--mount transit] [--state-file path]
 *
 * Served like Vault: sys/health, sys/seal-status, sys/seal, sys/mounts[/:path], and per
 * transit mount keys (list, create, read, delete), keys/:name/rotate, keys/:name/config,
 * sign/:name[/:hash] and verify/:name[/:hash]. Other transit paths answer "unsupported path".
 * Differences: only signing key types have cryptography (aes*-gcm96 and chacha20-poly1305 keys
 * can be created and listed, and are refused for signing as Vault refuses them); derived keys,
 * HMAC/CMAC, Ed25519ph and automatic rotation are not implemented; the default mount exists
 * in every namespace.
 *
 * Dev controls, all requiring the root token and never delayed: POST /__dev/seal,
 * /__dev/unseal, /__dev/standby {"standby": bool}, /__dev/latency {"ms": n}; GET /__dev/state.
 */
export interface TransitServerOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Root token; a random one is generated when omitted. */
  token?: string;
  /** Path of the default transit mount (default "transit"). */
  mount?: string;
  /** Persist keys to this JSON file and load them from it at start. */
  stateFile?: string;
  /** Reported as the Vault version by sys/health. */
  version?: string;
}

export interface TransitServer {
  url: string;
  port: number;
  rootToken: string;
  close(): Promise<void>;
  setSealed(sealed: boolean): void;
  /** Delays every response except dev controls, to exercise client timeouts. */
  setLatency(ms: number): void;
  setStandby(standby: boolean): void;
}

export async function startTransitServer(
  options: TransitServerOptions = {},
): Promise<TransitServer> {
  const token = options.token ?? `hvs.${randomBytes(18).toString("base64url")}`;
  const store = new Store(options.mount ?? "transit", options.stateFile);
  const state: ServerState = {
    sealed: false,
    standby: false,
    latencyMs: 0,
    version: options.version ?? "1.20.0+transit.dev",
    clusterName: "vault-cluster-transit-dev",
    clusterId: randomUUID(),
  };
  const closing = new AbortController();

  const handle = createHandler({ state, store, token, closing: closing.signal });

  const http = createServer((req, res) => {
    void handle(req, res);
  });
  const sockets = new Set<Socket>();
  const tcp = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    attachConnection(http, socket);
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = tcp.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const host = options.host ?? "127.0.0.1";
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;

  return {
    url,
    port,
    rootToken: token,
    setSealed: (sealed) => {
      state.sealed = sealed;
    },
    setLatency: (ms) => {
      state.latencyMs = Math.max(0, ms);
    },
    setStandby: (standby) => {
      state.standby = standby;
    },
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort();
        tcp.close(() => resolve());
        http.closeAllConnections();
        for (const socket of sockets) {
          socket.destroy();
        }
      }),
  };
}

function parseArgs(argv: string[]): TransitServerOptions {
  const options: TransitServerOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined || !flag?.startsWith("--")) {
      throw new Error(`unexpected argument ${flag ?? ""}`);
    }
    i++;
    if (flag === "--port") {
      options.port = Number(value);
      if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
        throw new Error(`invalid --port ${value}`);
      }
    } else if (flag === "--host") {
      options.host = value;
    } else if (flag === "--token") {
      options.token = value;
    } else if (flag === "--mount") {
      options.mount = value;
    } else if (flag === "--state-file") {
      options.stateFile = value;
    } else {
      throw new Error(`unknown flag ${flag}`);
    }
  }
  return options;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (options.port === undefined) {
    options.port = 8200;
  }
  const server = await startTransitServer(options);
  const line: JsonObject = { msg: "transit listening", url: server.url };
  if (options.token === undefined) {
    line.token = server.rootToken;
  }
  process.stdout.write(`${JSON.stringify(line)}\n`);
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

function isEntryPoint(): boolean {
  try {
    const entry = process.argv[1];
    return (
      entry !== undefined && realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url))
    );
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
