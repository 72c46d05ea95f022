import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addMember, BusinessFixture, createBusiness } from '../factories/tenancy.factory';
import { asMember, me } from '../harness/app/api';
import { cliInProcess } from '../harness/app/cli';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/** `tokens import`: the API's body from a file, imported by the operator, audited as cli. */

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe.each(DRIVERS)('cli tokens import on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;
  let dir: string;
  beforeAll(async () => {
    t = await bootTestApp(driver);
    biz = await createBusiness(t);
    dir = mkdtempSync(join(tmpdir(), 'import-'));
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (keys: object[]) => {
    const file = join(dir, `${randomBytes(4).toString('hex')}.json`);
    writeFileSync(file, JSON.stringify({ keys }));
    return cliInProcess(['tokens', 'import', '--business', biz.id, '--file', file], t.db.env);
  };
  const count = async (table: string) =>
    Number((await t.sql<{ n: unknown }>(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);

  it('imports from a file, prints the tokens, and audits the batch with origin cli', async () => {
    const member = await addMember(t, biz, 'member');
    const key = `pk_${randomBytes(20).toString('hex')}`;
    const res = await run([
      { hash: sha256(key), name: 'from-cli', identity_id: member.identityId },
    ]);
    expect(res.code).toBe(0);
    expect(res.stdout + res.stderr).not.toContain(sha256(key));
    const out = JSON.parse(res.stdout) as { imported: number; tokens: { origin: string }[] };
    expect(out.imported).toBe(1);
    expect(out.tokens[0].origin).toBe('import');
    const rows = await t.sql<{ origin: string }>(
      "SELECT origin FROM audit_events WHERE action = 'token.imported' AND business_id = ?",
      [biz.id],
    );
    expect(rows.map((r) => r.origin)).toEqual(['cli']);
    // The app learns of the import at the first string without Latchkey's shape it is shown.
    const who = await me(t, asMember(key, biz.id)).expect(200);
    expect(who.body.data.identity.id).toBe(member.identityId);
  });

  it('refuses a batch with a hash in use whole, writing nothing, and never prints it', async () => {
    const member = await addMember(t, biz, 'member');
    const hash = sha256(`pk_${randomBytes(20).toString('hex')}`);
    const key = { hash, name: 'first', identity_id: member.identityId };
    expect((await run([key])).code).toBe(0);
    const before = [await count('api_tokens'), await count('audit_events')];
    const fresh = { ...key, hash: sha256(randomBytes(8).toString('hex')) };
    const res = await run([fresh, key]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('TOKEN_HASH_IN_USE');
    expect(res.stdout + res.stderr).not.toContain(hash);
    expect([await count('api_tokens'), await count('audit_events')]).toEqual(before);
  });

  it('refuses a file that is not JSON as a usage error', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{not json');
    const res = await cliInProcess(
      ['tokens', 'import', '--business', biz.id, '--file', file],
      t.db.env,
    );
    expect(res.code).toBe(2);
  });
});
