import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AuditView } from "../../src/audit/service.ts";
import type { ChainReport } from "../../src/audit/verify.ts";
import { call, daysFromNow, expectError, expectStatus } from "../helpers.ts";

type Entry = AuditView;
type Report = ChainReport;

/** A tenant of its own, so each test has a chain of its own. */
async function tenant(): Promise<{ id: string; key: string }> {
  const id = `a-${crypto.randomUUID().slice(0, 8)}`;
  expectStatus(await call("POST", "/tenants", { body: { tenant_id: id, name: id } }), 201);
  const credential = await call<{ secret: string }>("POST", "/credentials", {
    body: { name: "auditor", role: "admin", tenant_id: id },
  });
  return { id, key: credential.body.secret };
}

async function issueAs(key: string): Promise<{ license_id: string }> {
  const response = await call<{ license: { license_id: string } }>("POST", "/license/issue", {
    body: { customer: "audited", modules: ["core"], expires_at: daysFromNow(20) },
    key,
  });
  expectStatus(response, 201);
  return response.body.license;
}

async function trail(key: string, query = ""): Promise<Entry[]> {
  const response = await call<{ entries: Entry[] }>("GET", `/audit${query}`, { key });
  expectStatus(response, 200);
  return response.body.entries;
}

async function verify(key: string): Promise<Report> {
  const response = await call<Report>("GET", "/audit/verify", { key });
  expectStatus(response, 200);
  return response.body;
}

async function threeEntries(key: string, tenantId: string) {
  for (let i = 0; i < 3; i += 1) {
    await issueAs(key);
  }
  const rows = await env.DB.prepare(
    "SELECT entry_id, seq FROM audit_log WHERE tenant_id = ? AND seq IS NOT NULL ORDER BY seq",
  )
    .bind(tenantId)
    .all<{ entry_id: number; seq: number }>();
  return rows.results;
}

describe("audit trail", () => {
  it("records every change with actor, target and request id, none for a refusal", async () => {
    const t = await tenant();
    const license = await issueAs(t.key);
    const id = license.license_id;
    await call("POST", "/license/suspend", {
      body: { license_id: id, reason: "audit" },
      key: t.key,
    });
    await call("POST", "/license/reinstate", { body: { license_id: id }, key: t.key });
    const renewed = await call<{ license: { license_id: string } }>("POST", "/license/renew", {
      body: { license_id: id, new_expires_at: daysFromNow(90) },
      key: t.key,
    });
    const newId = renewed.body.license.license_id;
    const revoke = await call("POST", "/license/revoke", {
      body: { license_id: newId, reason: "fraud" },
      key: t.key,
    });
    expectStatus(revoke, 200);
    expectError(
      await call("POST", "/license/revoke", {
        body: { license_id: newId, reason: "x" },
        key: t.key,
      }),
      409,
      "CONFLICT",
    );
    const created = await call<{ credential: { key_id: string } }>("POST", "/credentials", {
      body: { name: "reader", role: "reader" },
      key: t.key,
    });
    await call("DELETE", `/credentials/${created.body.credential.key_id}`, { key: t.key });

    const entries = await trail(t.key);
    expect(entries.map((e) => e.action).reverse()).toEqual([
      // The tenant's first admin key, created by the operator for this tenant.
      "credential.created",
      "license.issued",
      "license.suspended",
      "license.reinstated",
      "license.renewed",
      "license.superseded",
      "license.revoked",
      "credential.created",
      "credential.revoked",
    ]);
    const revoked = entries.find((e) => e.action === "license.revoked");
    expect(revoked).toMatchObject({ target: newId, fields: { reason: "fraud" } });
    expect(revoked?.request_id).toBe(revoke.headers.get("X-Request-Id"));
    expect(entries.slice(0, -1).every((e) => e.actor.startsWith("key_") && e.seq !== null)).toBe(
      true,
    );

    expect((await trail(t.key, "?action=license.revoked")).map((e) => e.target)).toEqual([newId]);
    expect((await trail(t.key, `?target=${id}`)).map((e) => e.action)).toEqual([
      "license.superseded",
      "license.reinstated",
      "license.suspended",
      "license.issued",
    ]);
    const page = await call<{ entries: Entry[]; next_cursor: string }>("GET", "/audit?limit=3", {
      key: t.key,
    });
    const next = await trail(t.key, `?limit=3&cursor=${page.body.next_cursor}`);
    expect(next[0]?.seq).toBe((page.body.entries[2]?.seq ?? 0) - 1);
  });

  it("keeps one chain without gaps or forks under concurrent writers", async () => {
    const t = await tenant();
    await Promise.all(Array.from({ length: 12 }, () => issueAs(t.key)));
    const report = await verify(t.key);
    expect(report).toMatchObject({ valid: true, entries_checked: 13, first_problem: null });
    const seqs = (await trail(t.key, "?limit=100"))
      .map((e) => e.seq)
      .sort((a, b) => Number(a) - Number(b));
    expect(seqs).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
  });

  it("catches an entry changed in D1", async () => {
    const t = await tenant();
    const rows = await threeEntries(t.key, t.id);
    await env.DB.prepare("UPDATE audit_log SET actor = 'someone-else' WHERE entry_id = ?")
      .bind(rows[2]?.entry_id)
      .run();
    expect((await verify(t.key)).first_problem).toMatchObject({ kind: "changed", seq: 3 });
  });

  it("catches an entry removed from D1", async () => {
    const t = await tenant();
    const rows = await threeEntries(t.key, t.id);
    await env.DB.prepare("DELETE FROM audit_log WHERE entry_id = ?").bind(rows[2]?.entry_id).run();
    expect((await verify(t.key)).first_problem).toMatchObject({ kind: "removed", seq: 3 });
  });

  it("catches the last entry removed, through the ledger's head", async () => {
    const t = await tenant();
    const rows = await threeEntries(t.key, t.id);
    await env.DB.prepare("DELETE FROM audit_log WHERE entry_id = ?").bind(rows[3]?.entry_id).run();
    expect((await verify(t.key)).first_problem).toMatchObject({ kind: "removed", seq: 4 });
  });

  it("catches entries inserted into D1, sealed-looking or not", async () => {
    const t = await tenant();
    await threeEntries(t.key, t.id);
    const insert = env.DB.prepare(
      `INSERT INTO audit_log (event_id, tenant_id, action, target, actor, request_id, occurred_at,
         fields, mac, seq, prev_hash, hash)
       VALUES (?1, ?2, 'license.revoked', 'lic_x', 'key_x', 'r', ?3, '{}', ?4, ?5, ?6, ?7)`,
    );
    await insert
      .bind(
        `evt_${crypto.randomUUID()}`,
        t.id,
        new Date().toISOString(),
        "0".repeat(64),
        5,
        "x",
        "y",
      )
      .run();
    expect((await verify(t.key)).first_problem).toMatchObject({ kind: "inserted", seq: 5 });

    const other = await tenant();
    await threeEntries(other.key, other.id);
    await insert
      .bind(
        `evt_${crypto.randomUUID()}`,
        other.id,
        new Date().toISOString(),
        "f".repeat(64),
        null,
        null,
        null,
      )
      .run();
    expect((await verify(other.key)).first_problem).toMatchObject({ kind: "inserted", seq: null });
  });

  it("signs checkpoints with Vault, verifies them, and catches a forged one", async () => {
    const t = await tenant();
    await threeEntries(t.key, t.id);
    const checkpoint = await call<{ checkpoint: { seq: number; signature: string } }>(
      "POST",
      "/audit/checkpoints",
      { body: {}, key: t.key },
    );
    expectStatus(checkpoint, 201);
    expect(checkpoint.body.checkpoint).toMatchObject({
      seq: 4,
      signature: expect.stringMatching(/^vault:v1:/),
    });
    expect(await verify(t.key)).toMatchObject({ valid: true, checkpoints_checked: 1 });

    await env.DB.prepare("UPDATE audit_checkpoints SET hash = ?1 WHERE tenant_id = ?2")
      .bind("0".repeat(64), t.id)
      .run();
    expect((await verify(t.key)).first_problem).toMatchObject({
      kind: "checkpoint_invalid",
      seq: 4,
    });
  });

  it("is readable by readers, verifiable by admins only, and kept per tenant", async () => {
    const t = await tenant();
    await issueAs(t.key);
    const reader = await call<{ secret: string }>("POST", "/credentials", {
      body: { name: "r", role: "reader" },
      key: t.key,
    });
    expect(await trail(reader.body.secret)).toHaveLength(3);
    expectError(await call("GET", "/audit/verify", { key: reader.body.secret }), 403, "FORBIDDEN");
    const other = await tenant();
    expect(
      (await trail(other.key)).every((e) => e.action === "credential.created" || e.target !== ""),
    ).toBe(true);
    expect((await trail(other.key)).some((e) => e.action === "license.issued")).toBe(false);
  });
});
