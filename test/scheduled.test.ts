import { createScheduledController, env } from "cloudflare:test";
import { expect, it } from "vitest";
import worker from "../src/index.ts";

it("purges expired Idempotency-Key records on schedule, and only those", async () => {
  const insert = env.DB.prepare(
    `INSERT INTO idempotency_keys
       (tenant_id, idempotency_key, route, request_hash, state, claimed_at, expires_at)
     VALUES ('default', ?1, 'POST /license/issue', 'h', 'done', ?2, ?3)`,
  );
  const old = `old-${crypto.randomUUID()}`;
  const current = `current-${crypto.randomUUID()}`;
  await env.DB.batch([
    insert.bind(old, "2000-01-01T00:00:00.000Z", "2000-01-02T00:00:00.000Z"),
    insert.bind(current, new Date().toISOString(), "2999-01-01T00:00:00.000Z"),
  ]);

  await worker.scheduled(
    createScheduledController({ scheduledTime: Date.now(), cron: "17 * * * *" }),
    env,
  );

  const left = await env.DB.prepare(
    "SELECT idempotency_key FROM idempotency_keys WHERE idempotency_key IN (?1, ?2)",
  )
    .bind(old, current)
    .all<{ idempotency_key: string }>();
  expect(left.results.map((r) => r.idempotency_key)).toEqual([current]);
});
