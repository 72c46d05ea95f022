import { statSync } from 'node:fs';
import type { Test } from 'supertest';
import { dirname, join } from 'node:path';
import { AuditCheckpointer } from '../../src/audit/checkpoints/audit-checkpointer';
import { AuditSigner, DEFAULT_KEY_FILE } from '../../src/audit/checkpoints/audit-signer';
import { rootFromInclusionProof, rootOf, verifyConsistency } from '../../src/audit/tree/merkle';
import { generateSigner } from '../../src/audit/checkpoints/signed-note';
import { BusinessFixture, createBusiness, createToken } from '../factories/tenancy.factory';
import { asMember, asOwner, asPlatform } from '../harness/app/api';
import { auditReads, EventLine, GENESIS, lineHash, splitExport } from './audit-chain';
import { keyIdOf, leafOfLine, openCheckpoint, proofHashes } from './checkpoint-oracle';
import { auditAppendOnly } from '../harness/app/db';
import { bootTestApp, createTestDatabase, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

const ORIGIN = 'latchkey.test';
/** Past the suites' AUDIT_CHECKPOINT_EVERY_SECONDS (a day), however long a boot took. */
const DAY = 2 * 86_400_000;

/** The error answer's status and code (the shape itself is held by the error suites). */
async function refused(request: Test, status: number, code: string): Promise<void> {
  const res = await request;
  expect({ status: res.status, code: res.body?.code, success: res.body?.success }).toEqual({
    status,
    code,
    success: false,
  });
}

describe.each(DRIVERS)('audit checkpoints on %s', (driver) => {
  let t: TestApp;
  const key = generateSigner(ORIGIN);
  /** Each turn is a day after the one before: every chain with new events is due. */
  let clock = Date.now();

  beforeAll(async () => {
    t = await bootTestApp(driver, { AUDIT_SIGNING_KEY: key.signerKey, LATCHKEY_ORIGIN: ORIGIN });
  });

  afterAll(async () => {
    await auditAppendOnly(t, true);
    await t?.close();
  });

  const { exportChain, verdict } = auditReads(() => t);
  const signTurn = (app: TestApp = t) =>
    app.app.get(AuditCheckpointer).runTurn(new Date((clock += DAY)));
  const get = (path: string, biz: BusinessFixture) =>
    t.http().get(`/api/v1/audit-events${path}`).set(asOwner(biz));
  const text = (path: string, biz: BusinessFixture) =>
    get(path, biz)
      .buffer(true)
      .parse((res, done) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => done(null, body));
      });

  async function events(biz: BusinessFixture): Promise<EventLine[]> {
    return splitExport((await exportChain(biz)).body as string).events;
  }

  async function bizWithEvents(tokens: number) {
    const biz = await createBusiness(t);
    for (let i = 0; i < tokens; i++) await createToken(t, asOwner(biz), { name: `t${i}` });
    return biz;
  }

  async function latestNote(biz: BusinessFixture): Promise<string> {
    const res = await text('/checkpoint', biz).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    return res.body as string;
  }

  it('serves the verifier key, publicly, with the key id the signed-note rule gives', async () => {
    const res = await t.http().get('/.well-known/latchkey-audit-key').expect(200);
    expect(res.text).toBe(`${key.verifierKey}\n`);
    const [name, id] = key.verifierKey.split('+');
    expect(name).toBe(ORIGIN);
    expect(id).toBe(keyIdOf(key.verifierKey));
  });

  it('signs a checkpoint that an independent reader checks against the exported events', async () => {
    const biz = await bizWithEvents(3);
    await refused(get('/checkpoint', biz), 404, 'CHECKPOINT_NOT_FOUND');
    await signTurn();
    const note = await latestNote(biz);
    const lines = await events(biz);
    const opened = openCheckpoint(note, key.verifierKey);
    expect(opened).toEqual({
      origin: `${ORIGIN}/audit/${biz.id}`,
      size: lines.length,
      root: rootOf(lines.map(leafOfLine)),
      signed: true,
    });
    // One changed byte and the signature no longer holds.
    expect(
      openCheckpoint(note.replace(`\n${lines.length}\n`, '\n999\n'), key.verifierKey).signed,
    ).toBe(false);
  });

  it('ends a whole NDJSON export with the checkpoint that covers it, and no other export', async () => {
    const biz = await bizWithEvents(2);
    await signTurn();
    await createToken(t, asOwner(biz), { name: 'after' });
    const whole = splitExport((await exportChain(biz)).body as string);
    expect(whole.checkpoint).toBe(await latestNote(biz));
    expect(openCheckpoint(whole.checkpoint!, key.verifierKey).size).toBe(whole.events.length - 1);
    const filtered = splitExport((await exportChain(biz, '?action=token.created')).body as string);
    expect(filtered.checkpoint).toBeNull();
    const csv = (await exportChain(biz, '?format=csv')).body as string;
    expect(csv).not.toContain('checkpoint');
  });

  it('lists checkpoints largest first, a keyset page at a time', async () => {
    const biz = await bizWithEvents(1);
    const sizes: number[] = [];
    for (let i = 0; i < 3; i++) {
      await createToken(t, asOwner(biz), { name: `more${i}` });
      await signTurn();
      sizes.unshift((await events(biz)).length);
    }
    const first = await get('/checkpoints?limit=2', biz).expect(200);
    expect(first.body.data.items.map((c: { tree_size: number }) => c.tree_size)).toEqual(
      sizes.slice(0, 2),
    );
    const item = first.body.data.items[0];
    expect(openCheckpoint(item.note as string, key.verifierKey)).toMatchObject({
      size: item.tree_size,
      signed: true,
    });
    expect(item).toMatchObject({ key_name: ORIGIN, key_id: keyIdOf(key.verifierKey) });
    const second = await get(
      `/checkpoints?limit=2&cursor=${first.body.data.next_cursor as string}`,
      biz,
    ).expect(200);
    expect(second.body.data.items.map((c: { tree_size: number }) => c.tree_size)).toEqual([
      sizes[2],
    ]);
    expect(second.body.data.next_cursor).toBeNull();
    await refused(get('/checkpoints?cursor=bm9wZQ', biz), 422, 'INVALID_CURSOR');
  });

  it("proves each event's inclusion in the latest checkpoint and in an older one", async () => {
    const biz = await bizWithEvents(4);
    await signTurn();
    const older = (await events(biz)).length;
    await createToken(t, asOwner(biz), { name: 'later' });
    await signTurn();
    const lines = await events(biz);
    for (const [size, upTo] of [
      [undefined, lines.length],
      [older, older],
    ] as const) {
      for (let seq = 1; seq <= upTo; seq++) {
        const res = await text(`/${seq}/inclusion${size ? `?size=${size}` : ''}`, biz).expect(200);
        const body = res.body as string;
        const [header, index] = body.split('\n');
        expect(header).toBe('c2sp.org/tlog-proof@v1');
        expect(index).toBe(`index ${seq - 1}`);
        const checkpoint = openCheckpoint(body.slice(body.indexOf('\n\n') + 2), key.verifierKey);
        expect(checkpoint).toMatchObject({ size: upTo, signed: true });
        const root = rootFromInclusionProof(
          seq - 1,
          upTo,
          leafOfLine(lines[seq - 1]),
          proofHashes(body, 2),
        );
        expect(root?.equals(checkpoint.root)).toBe(true);
      }
    }
  });

  it('proves that the log only grew between two checkpoints', async () => {
    const biz = await bizWithEvents(2);
    await signTurn();
    const old = openCheckpoint(await latestNote(biz), key.verifierKey);
    for (let i = 0; i < 5; i++) await createToken(t, asOwner(biz), { name: `grow${i}` });
    await signTurn();
    const now = openCheckpoint(await latestNote(biz), key.verifierKey);
    const res = await text(`/consistency?from=${old.size}&to=${now.size}`, biz).expect(200);
    const body = res.body as string;
    expect(body.split('\n').slice(0, 3)).toEqual([
      'latchkey.audit-consistency@v1',
      `old ${old.size}`,
      `new ${now.size}`,
    ]);
    const proof = proofHashes(body, 3);
    expect(verifyConsistency(old.size, now.size, old.root, now.root, proof)).toBe(true);
    expect(verifyConsistency(old.size, now.size, now.root, old.root, proof)).toBe(false);
  });

  it('answers every bad proof request with 422 or 404, and never a 500', async () => {
    const biz = await bizWithEvents(1);
    await signTurn();
    const size = (await events(biz)).length;
    for (const path of [
      '/0/inclusion',
      '/abc/inclusion',
      '/1.5/inclusion',
      '/1/inclusion?size=0',
    ]) {
      await refused(get(path, biz), 422, 'VALIDATION_ERROR');
    }
    await refused(get(`/${size + 1}/inclusion`, biz), 422, 'VALIDATION_ERROR');
    await refused(get(`/1/inclusion?size=${size + 50}`, biz), 404, 'CHECKPOINT_NOT_FOUND');
    await refused(get('/consistency?from=2&to=1', biz), 422, 'VALIDATION_ERROR');
    await refused(get(`/consistency?from=1&to=${size + 1}`, biz), 422, 'VALIDATION_ERROR');
    await refused(get('/consistency?from=1', biz), 422, 'VALIDATION_ERROR');
  });

  it("keeps a business's checkpoints to its owners and admins with audit:read", async () => {
    const biz = await bizWithEvents(1);
    await signTurn();
    const member = await createToken(t, asOwner(biz), { name: 'no-audit', scopes: [] });
    for (const path of [
      '/checkpoint',
      '/checkpoints',
      '/1/inclusion',
      '/consistency?from=1&to=1',
    ]) {
      await refused(
        t.http().get(`/api/v1/audit-events${path}`).set(asMember(member.secret, biz.id)),
        403,
        'INSUFFICIENT_SCOPE',
      );
    }
    // Another business's owner reads their own chain's checkpoints, never this one's.
    const other = await bizWithEvents(1);
    await signTurn();
    const theirs = openCheckpoint(await latestNote(other), key.verifierKey);
    expect(theirs.origin).toBe(`${ORIGIN}/audit/${other.id}`);
  });

  it('serves the platform chain under /platform/v1', async () => {
    await signTurn();
    const res = await t
      .http()
      .get('/platform/v1/audit-events/checkpoint')
      .set(asPlatform(t))
      .buffer(true)
      .parse((r, done) => {
        let body = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (body += c));
        r.on('end', () => done(null, body));
      })
      .expect(200);
    expect(openCheckpoint(res.body as string, key.verifierKey)).toMatchObject({
      origin: `${ORIGIN}/audit/platform`,
      signed: true,
    });
  });

  describe('verify, against an attacker with write access to the database', () => {
    beforeEach(() => auditAppendOnly(t, false));
    afterEach(() => auditAppendOnly(t, true));

    /** Rewrites the chain from `fromSeq` on, with every hash recomputed: a forgery that chains. */
    async function forgeFrom(biz: BusinessFixture, fromSeq: number) {
      const lines = await events(biz);
      let prev = fromSeq === 1 ? GENESIS : lines[fromSeq - 2].hash;
      for (const line of lines.slice(fromSeq - 1)) {
        const forged = {
          ...line,
          prev_hash: prev,
          target: { ...(line.target as object), label: 'forged' },
        };
        const hash = lineHash(forged);
        await t.sql(
          'UPDATE audit_events SET target_label = ?, prev_hash = ?, hash = ? WHERE chain_id = ? AND seq = ?',
          ['forged', prev, hash, biz.id, line.seq],
        );
        prev = hash;
      }
      await t.sql('UPDATE audit_chain_heads SET hash = ? WHERE chain_id = ?', [prev, biz.id]);
    }

    it('names the first seq after the last checkpoint that holds, when the chain was rewritten', async () => {
      const biz = await bizWithEvents(2);
      await signTurn();
      const pinned = (await events(biz)).length;
      for (let i = 0; i < 3; i++) await createToken(t, asOwner(biz), { name: `x${i}` });
      await signTurn();
      await forgeFrom(biz, pinned + 2);
      const result = await verdict(biz);
      expect(result).toMatchObject({
        valid: false,
        first_invalid_seq: pinned + 1,
        checkpoints_checked: 2,
        last_valid_checkpoint: { tree_size: pinned },
        checkpoint_checked: true,
        signed_through_seq: pinned,
      });
    });

    it('catches a chain rewritten from genesis with valid hashes', async () => {
      const biz = await bizWithEvents(3);
      await signTurn();
      await forgeFrom(biz, 1);
      expect(await verdict(biz)).toMatchObject({
        valid: false,
        first_invalid_seq: 1,
        last_valid_checkpoint: null,
        checkpoint_checked: true,
        signed_through_seq: 0,
      });
    });

    it('catches the last 10 events cut off, head and all', async () => {
      const biz = await bizWithEvents(3);
      await signTurn();
      const pinned = (await events(biz)).length;
      for (let i = 0; i < 10; i++) await createToken(t, asOwner(biz), { name: `cut${i}` });
      await signTurn();
      const lines = await events(biz);
      const kept = lines.length - 10;
      await t.sql('DELETE FROM audit_events WHERE chain_id = ? AND seq > ?', [biz.id, kept]);
      await t.sql('UPDATE audit_chain_heads SET seq = ?, hash = ? WHERE chain_id = ?', [
        kept,
        lines[kept - 1].hash,
        biz.id,
      ]);
      expect(await verdict(biz)).toMatchObject({
        valid: false,
        checked: kept,
        first_invalid_seq: pinned + 1,
        last_valid_checkpoint: { tree_size: pinned },
      });
    });

    it('holds an untouched chain valid, pinned to its latest checkpoint', async () => {
      const biz = await bizWithEvents(2);
      await signTurn();
      const size = (await events(biz)).length;
      expect(await verdict(biz)).toMatchObject({
        valid: true,
        checked: size,
        first_invalid_seq: null,
        checkpoints_checked: 1,
        last_valid_checkpoint: { tree_size: size },
        checkpoint_checked: true,
        signed_through_seq: size,
      });
      // An event past the checkpoint is held by the chain alone, and the answer says how far.
      await createToken(t, asOwner(biz), { name: 'later' });
      expect(await verdict(biz)).toMatchObject({
        valid: true,
        checked: size + 1,
        checkpoint_checked: true,
        signed_through_seq: size,
      });
    });

    it('says that no checkpoint was checked when the checkpoints were deleted with the chain rewritten', async () => {
      const biz = await bizWithEvents(3);
      await signTurn();
      await forgeFrom(biz, 1);
      await t.sql('DELETE FROM audit_checkpoints WHERE chain_id = ?', [biz.id]);
      // The chain alone holds, as a forgery from genesis does: the answer says it is all there is.
      expect(await verdict(biz)).toMatchObject({
        valid: true,
        first_invalid_seq: null,
        checkpoints_checked: 0,
        last_valid_checkpoint: null,
        checkpoint_checked: false,
        signed_through_seq: 0,
      });
    });
  });

  it('grows the tree of a chain written before trees were kept, to the root it signed', async () => {
    const biz = await bizWithEvents(5);
    await signTurn();
    const signed = openCheckpoint(await latestNote(biz), key.verifierKey);
    await t.sql("UPDATE audit_chain_heads SET tree_size = 0, frontier = '' WHERE chain_id = ?", [
      biz.id,
    ]);
    await t.sql('DELETE FROM audit_tree_nodes WHERE chain_id = ?', [biz.id]);
    // Appends leave a lagging tree alone; the turn grows it, under the head lock.
    await createToken(t, asOwner(biz), { name: 'while-lagging' });
    await signTurn();
    const lines = await events(biz);
    const now = openCheckpoint(await latestNote(biz), key.verifierKey);
    expect(now.root.equals(rootOf(lines.map(leafOfLine)))).toBe(true);
    const res = await text(`/consistency?from=${signed.size}&to=${now.size}`, biz).expect(200);
    expect(
      verifyConsistency(
        signed.size,
        now.size,
        signed.root,
        now.root,
        proofHashes(res.body as string, 3),
      ),
    ).toBe(true);
  });

  it('catches checkpoints signed by a key the installation does not hold', async () => {
    const biz = await bizWithEvents(2);
    await signTurn();
    // A restart on the same database keeps the first boot's platform token, for later tests.
    const reboot = async (signerKey: string) => {
      const { platformToken, db } = t;
      await t.close({ keepDatabase: true });
      t = {
        ...(await bootTestApp(
          driver,
          { AUDIT_SIGNING_KEY: signerKey, LATCHKEY_ORIGIN: ORIGIN },
          db,
        )),
        platformToken,
      };
    };
    await reboot(generateSigner(ORIGIN).signerKey);
    // The owner's token still works: only the key changed.
    expect(await verdict(biz)).toMatchObject({
      valid: false,
      first_invalid_seq: 1,
      last_valid_checkpoint: null,
    });
    await reboot(key.signerKey);
    expect(await verdict(biz)).toMatchObject({ valid: true });
  });

  if (driver === 'postgres') {
    it('signs each checkpoint once with two instances on one database', async () => {
      const second = await bootTestApp(
        driver,
        { AUDIT_SIGNING_KEY: key.signerKey, LATCHKEY_ORIGIN: ORIGIN },
        t.db,
      );
      try {
        let signed = 0;
        for (let round = 0; round < 5; round++) {
          await bizWithEvents(1);
          const turns = await Promise.all([signTurn(t), signTurn(second)]);
          signed += turns[0].signed + turns[1].signed;
        }
        const rows = await t.sql<{ n: string }>('SELECT COUNT(*) AS n FROM audit_checkpoints');
        const distinct = await t.sql<{ n: string }>(
          'SELECT COUNT(*) AS n FROM (SELECT DISTINCT chain_id, tree_size FROM audit_checkpoints) d',
        );
        expect(Number(rows[0].n)).toBe(Number(distinct[0].n));
        // Every signature the two made is a stored checkpoint: none was made twice.
        const made = await t.sql<{ n: string }>(
          'SELECT COUNT(*) AS n FROM audit_checkpoints WHERE signed_at > ?',
          [new Date(clock - 10 * DAY)],
        );
        expect(signed).toBe(Number(made[0].n));
      } finally {
        await second.close({ keepDatabase: true });
      }
    });
  }
});

describe('the audit signing key of the embedded default', () => {
  it('is made once, in the data folder, readable by its owner only, and kept', async () => {
    const first = await bootTestApp('sqlite', { AUDIT_SIGNING_KEY: '' });
    try {
      const signer = first.app.get(AuditSigner);
      const made = signer.createdKey;
      expect(made?.path).toBe(join(dirname(first.db.env.SQLITE_PATH), DEFAULT_KEY_FILE));
      expect(statSync(made!.path).mode & 0o777).toBe(0o600);
      const res = await first.http().get('/.well-known/latchkey-audit-key').expect(200);
      expect(res.text).toBe(`${made!.verifierKey}\n`);
      await first.close({ keepDatabase: true });
      const again = await bootTestApp('sqlite', {}, first.db);
      expect(again.app.get(AuditSigner).createdKey).toBeNull();
      expect(again.app.get(AuditSigner).verifierKey).toBe(made!.verifierKey);
      await again.close();
    } catch (e) {
      await first.close().catch(() => undefined);
      throw e;
    }
  });

  it('is never made for PostgreSQL: a start with no key is refused, naming the command', async () => {
    if (!DRIVERS.includes('postgres')) return;
    const db = await createTestDatabase('postgres');
    const refused = await bootTestApp('postgres', { AUDIT_SIGNING_KEY: '' }, db)
      .then(
        () => null,
        (e: Error) => e.message,
      )
      .finally(() => db.drop());
    expect(refused).toContain('the audit signing key');
    expect(refused).toContain('npm run -s cli -- keys init');
  });

  it('refuses a malformed key at start, naming the variable and never echoing the key', async () => {
    const secretish = 'PRIVATE+KEY+bad+00000000+AAAA';
    await expect(bootTestApp('sqlite', { AUDIT_SIGNING_KEY: secretish })).rejects.toThrow(
      /AUDIT_SIGNING_KEY/,
    );
    await bootTestApp('sqlite', { AUDIT_SIGNING_KEY: secretish }).catch((e: Error) => {
      expect(e.message).not.toContain('AAAA');
    });
  });
});
