// The TypeScript SDK of the license service: the online client, its errors, and offline
// verification of license tokens. It runs wherever fetch and WebCrypto do: Node 22, Workers,
// Deno, Bun and browsers.

export * from "./client.ts";
export * from "./errors.ts";
export * from "./offline.ts";
export type * from "./types.ts";
