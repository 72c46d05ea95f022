import { createBusiness, createToken } from '../factories/tenancy.factory';
import { asOwner, asPlatform, revoke } from '../harness/app/api';
import { auditReads, jcs, lineHash, parseNdjson } from './audit-chain';
import { auditAppendOnly } from '../harness/app/db';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

describe.each(DRIVERS)('audit verify on %s', (driver) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootTestApp(driver, { RATE_LIMIT_OAUTH_PER_MINUTE: '0' });
  });

  afterAll(async () => {
    await t?.close();
  });

  const { exportChain, verify } = auditReads(() => t);

  describe('verify and tampering', () => {
    const allowTampering = () => auditAppendOnly(t, false);
    const restoreGuard = () => auditAppendOnly(t, true);

    async function bizWithEvents(tokens = 4) {
      const biz = await createBusiness(t);
      for (let i = 0; i < tokens; i++) await createToken(t, asOwner(biz), { name: `t${i}` });
      // member.added, token.created (first) + `tokens` more: seq 1..tokens+2.
      expect(await verify(biz)).toEqual({
        valid: true,
        checked: tokens + 2,
        first_invalid_seq: null,
      });
      return biz;
    }

    afterEach(async () => {
      await restoreGuard();
    });

    it('refuses UPDATE and DELETE at the database on PostgreSQL', async () => {
      if (driver !== 'postgres') return;
      const biz = await bizWithEvents(1);
      await expect(
        t.sql("UPDATE audit_events SET action = 'x' WHERE chain_id = ?", [biz.id]),
      ).rejects.toThrow(/append-only/);
      await expect(t.sql('DELETE FROM audit_events WHERE chain_id = ?', [biz.id])).rejects.toThrow(
        /append-only/,
      );
    });

    it('finds an edited event at its seq', async () => {
      const biz = await bizWithEvents();
      await allowTampering();
      await t.sql(
        "UPDATE audit_events SET target_label = 'innocent' WHERE chain_id = ? AND seq = 4",
        [biz.id],
      );
      expect(await verify(biz)).toEqual({ valid: false, checked: 4, first_invalid_seq: 4 });
    });

    it('finds a deleted event at its seq', async () => {
      const biz = await bizWithEvents();
      await allowTampering();
      await t.sql('DELETE FROM audit_events WHERE chain_id = ? AND seq = 3', [biz.id]);
      expect(await verify(biz)).toMatchObject({ valid: false, first_invalid_seq: 3 });
    });

    it('finds two swapped events at the first of them', async () => {
      const biz = await bizWithEvents();
      await allowTampering();
      await t.sql('UPDATE audit_events SET seq = -1 WHERE chain_id = ? AND seq = 3', [biz.id]);
      await t.sql('UPDATE audit_events SET seq = 3 WHERE chain_id = ? AND seq = 5', [biz.id]);
      await t.sql('UPDATE audit_events SET seq = 5 WHERE chain_id = ? AND seq = -1', [biz.id]);
      expect(await verify(biz)).toMatchObject({ valid: false, first_invalid_seq: 3 });
    });

    it('finds a deleted tail through the chain head', async () => {
      const biz = await bizWithEvents();
      await allowTampering();
      await t.sql('DELETE FROM audit_events WHERE chain_id = ? AND seq = 6', [biz.id]);
      expect(await verify(biz)).toEqual({ valid: false, checked: 5, first_invalid_seq: 6 });
    });

    it('finds a rewritten event even when its own hash was recomputed', async () => {
      const biz = await bizWithEvents();
      const lines = parseNdjson((await exportChain(biz)).body as string);
      const forged = { ...lines[1], metadata: { ...(lines[1].metadata as object), forged: true } };
      const hash = lineHash(forged);
      await allowTampering();
      await t.sql('UPDATE audit_events SET metadata = ?, hash = ? WHERE chain_id = ? AND seq = 2', [
        jcs(forged.metadata),
        hash,
        biz.id,
      ]);
      // seq 2 now holds, but seq 3 still points at the old hash.
      expect(await verify(biz)).toMatchObject({ valid: false, first_invalid_seq: 3 });
    });

    it('keeps one gap-free chain under 50 concurrent revocations', async () => {
      const biz = await createBusiness(t);
      const ids: string[] = [];
      for (let i = 0; i < 50; i++) ids.push((await createToken(t, asOwner(biz))).id);
      const results = await Promise.all(
        ids.map((id) => revoke(t, asOwner(biz), id, { reason: 'test' })),
      );
      expect(results.map((r) => r.status)).toEqual(Array(50).fill(201));
      const seqs = (
        await t.sql<{ seq: number }>(
          'SELECT seq FROM audit_events WHERE chain_id = ? ORDER BY seq',
          [biz.id],
        )
      ).map((r) => Number(r.seq));
      expect(seqs).toEqual(Array.from({ length: 102 }, (_, i) => i + 1));
      expect(await verify(biz)).toEqual({ valid: true, checked: 102, first_invalid_seq: null });
    });

    it('verifies the platform chain', async () => {
      const res = await t
        .http()
        .get('/platform/v1/audit-events/verify')
        .set(asPlatform(t))
        .expect(200);
      expect(res.body.data).toEqual({
        valid: true,
        checked: expect.any(Number),
        first_invalid_seq: null,
        checkpoints_checked: 0,
        last_valid_checkpoint: null,
        checkpoint_checked: false,
        signed_through_seq: 0,
      });
      expect(res.body.data.checked).toBeGreaterThan(0);
    });
  });
});
