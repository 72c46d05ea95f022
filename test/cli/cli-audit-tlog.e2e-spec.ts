import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditCheckpointer } from '../../src/audit/checkpoints/audit-checkpointer';
import { parseCheckpoint } from '../../src/audit/checkpoints/checkpoint-note';
import { generateSigner, parseSigner } from '../../src/audit/checkpoints/signed-note';
import { BusinessFixture, createBusiness, createToken } from '../factories/tenancy.factory';
import { asOwner } from '../harness/app/api';
import { auditReads, EventLine, lineHash, splitExport } from '../audit/audit-chain';
import { cliInProcess, CliResult } from '../harness/app/cli';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

// Every case runs the CLI in-process: `audit …` opens no database, and the exit codes a process
// gives for it (2 for a usage error, 1 for a broken export) are checked on a process of the
// built CLI in cli.e2e-spec.ts.
jest.setTimeout(240_000);

const json = (result: CliResult) => JSON.parse(result.stdout) as Record<string, unknown>;
/** No database anywhere: `audit` must not open one. */
const OFFLINE = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'cli-audit-tlog-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('cli audit keygen', () => {
  it('prints a key pair, and says on stderr where the signer key goes', async () => {
    const made = await cliInProcess(['audit', 'keygen', '--name', 'latchkey.example.com'], OFFLINE);
    expect(made.code).toBe(0);
    const { signer_key: signerKey, verifier_key: verifierKey } = json(made) as Record<
      string,
      string
    >;
    expect(parseSigner(signerKey).verifier.text).toBe(verifierKey);
    expect(verifierKey).toMatch(/^latchkey\.example\.com\+[0-9a-f]{8}\+/);
    expect(made.stderr).toContain('AUDIT_SIGNING_KEY');
    expect(made.stderr).not.toContain(signerKey.slice(-20));

    const named = json(await cliInProcess(['audit', 'keygen'], OFFLINE));
    expect(named.verifier_key).toMatch(/^latchkey-audit\+/);
  });

  it('refuses a name a signature line could not hold: a usage error, exit 2', async () => {
    const refused = await cliInProcess(['audit', 'keygen', '--name', 'two words'], OFFLINE);
    expect(refused).toMatchObject({ code: 2, stdout: '' });
    expect(refused.stderr).toContain('--name');
  });
});

describe('cli audit usage errors', () => {
  it.each([
    [['audit', 'verify'], 'Usage: audit verify'],
    [
      ['audit', 'verify-consistency', '--old', 'a', '--new', 'b'],
      'Usage: audit verify-consistency',
    ],
    [
      ['audit', 'verify', '--file', 'x.ndjson', '--key', 'PRIVATE+KEY+k+00000000+AAAA'],
      'signer key is secret',
    ],
    [['audit', 'verify', '--file', 'x.ndjson', '--key', 'not-a-key'], '--key: not a verifier key'],
    [['audit', 'verify', '--file', 'x.ndjson', '--key', '@/nonexistent/key'], 'Cannot read --key'],
  ])('%j exits 2, saying why', async (args, message) => {
    const refused = await cliInProcess(args, OFFLINE);
    expect(refused).toMatchObject({ code: 2, stdout: '' });
    expect(refused.stderr).toContain(message);
  });
});

describe.each(DRIVERS)('cli audit against what a server on %s signed', (driver) => {
  let t: TestApp;
  const key = generateSigner('latchkey.test');
  let keyFile: string;
  let clock = Date.now();
  const { exportChain } = auditReads(() => t);

  beforeAll(async () => {
    t = await bootTestApp(driver, {
      AUDIT_SIGNING_KEY: key.signerKey,
      LATCHKEY_ORIGIN: 'latchkey.test',
    });
    keyFile = file(`${driver}.key`, `${key.verifierKey}\n`);
  });
  afterAll(() => t?.close());

  /** A checkpoint turn, a day after the last: every chain with new events is signed. */
  const signTurn = () => t.app.get(AuditCheckpointer).runTurn(new Date((clock += 2 * 86_400_000)));
  const text = async (path: string, biz: BusinessFixture) =>
    (
      await t
        .http()
        .get(`/api/v1/audit-events${path}`)
        .set(asOwner(biz))
        .buffer(true)
        .parse((res, done) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => done(null, body));
        })
        .expect(200)
    ).body as string;
  const tokens = async (biz: BusinessFixture, n: number) => {
    for (let i = 0; i < n; i++) await createToken(t, asOwner(biz), { name: `t${i}` });
  };

  let biz: BusinessFixture;
  let oldNote: string;
  let newNote: string;
  let exported: string;

  beforeAll(async () => {
    biz = await createBusiness(t);
    await tokens(biz, 2);
    await signTurn();
    oldNote = await text('/checkpoint', biz);
    await tokens(biz, 3);
    await signTurn();
    newNote = await text('/checkpoint', biz);
    await tokens(biz, 1); // past the checkpoint: held by the chain alone
    exported = (await exportChain(biz)).body as string;
  });

  const sizeOf = (note: string) =>
    parseCheckpoint(note.slice(0, note.lastIndexOf('\n\n') + 1)).size;

  it('verify holds the export to its last line under --key, and to nothing unchecked without', async () => {
    const { events, checkpoint } = splitExport(exported);
    expect(checkpoint).toBe(newNote);
    const path = file(`${driver}-export.ndjson`, exported);
    const held = await cliInProcess(
      ['audit', 'verify', '--file', path, '--key', `@${keyFile}`],
      OFFLINE,
    );
    expect(held.code).toBe(0);
    const size = sizeOf(newNote);
    expect(json(held)).toEqual({
      valid: true,
      checked: events.length,
      first_invalid_seq: null,
      checkpoint: { origin: `latchkey.test/audit/${biz.id}`, size, signature: 'verified' },
      checkpoint_checked: true,
      signed_through_seq: size,
    });
    // The one event made after the last checkpoint is held by its chain alone, and it says so.
    expect(held.stderr).toBe(
      `The events from seq ${size + 1} to ${events.length} are past the signed checkpoint ` +
        `(of size ${size}): their chain alone holds them, which whoever can rewrite the file ` +
        'can recompute. Verify again with a later checkpoint (GET …/audit-events/checkpoint, ' +
        'given with --checkpoint) to cover them.\n',
    );

    const unchecked = await cliInProcess(['audit', 'verify', '--file', path], OFFLINE);
    expect(unchecked.code).toBe(0);
    expect(json(unchecked)).toMatchObject({ valid: true, checkpoint: { signature: 'unchecked' } });
    expect(unchecked.stderr).toContain('was not checked');

    const stranger = generateSigner('latchkey.test').verifierKey;
    const refused = await cliInProcess(
      ['audit', 'verify', '--file', path, '--key', stranger],
      OFFLINE,
    );
    expect(refused.code).toBe(1);
    expect(json(refused)).toMatchObject({
      valid: false,
      first_invalid_seq: 1,
      checkpoint: { signature: 'invalid' },
      checkpoint_checked: true,
      signed_through_seq: 0,
    });
    expect(refused.stderr).toContain('The export does not hold from seq 1');
  });

  it('verify --key refuses a chain rewritten from scratch with its checkpoint line deleted, unless --allow-unsigned', async () => {
    // The attack: every event relabelled, the whole chain recomputed, the checkpoint dropped.
    const { events } = splitExport(exported);
    const forged: EventLine[] = [];
    for (const event of events) {
      const line: EventLine = {
        ...event,
        prev_hash: forged.at(-1)?.hash ?? event.prev_hash,
        target: { ...(event.target as object), label: 'eve' },
      };
      forged.push({ ...line, hash: lineHash(line) });
    }
    const path = file(
      `${driver}-forged.ndjson`,
      `${forged.map((e) => JSON.stringify(e)).join('\n')}\n`,
    );
    const keyed = ['audit', 'verify', '--file', path, '--key', `@${keyFile}`];

    const refused = await cliInProcess(keyed, OFFLINE);
    expect(refused.code).toBe(1);
    expect(json(refused)).toEqual({
      valid: false,
      checked: events.length,
      first_invalid_seq: 1,
      reason: expect.stringContaining('the file carries no checkpoint') as unknown,
      checkpoint_checked: false,
      signed_through_seq: 0,
    });
    expect(refused.stderr).toMatch(
      /^The export does not hold from seq 1: the file carries no checkpoint, so nothing in it was checked against the key/,
    );

    // On purpose: the chain alone is taken, and the answer says that the key checked nothing.
    const allowed = await cliInProcess([...keyed, '--allow-unsigned'], OFFLINE);
    expect(allowed.code).toBe(0);
    expect(json(allowed)).toEqual({
      valid: true,
      checked: events.length,
      first_invalid_seq: null,
      checkpoint_checked: false,
      signed_through_seq: 0,
    });
    expect(allowed.stderr).toMatch(
      /^Nothing was checked against --key: the file carries no checkpoint/,
    );

    // The genuine export under --allow-unsigned is still held to its checkpoint, and to the key.
    const genuine = file(`${driver}-genuine.ndjson`, exported);
    const still = await cliInProcess(
      ['audit', 'verify', '--file', genuine, '--key', `@${keyFile}`, '--allow-unsigned'],
      OFFLINE,
    );
    expect(still.code).toBe(0);
    expect(json(still)).toMatchObject({
      checkpoint_checked: true,
      signed_through_seq: sizeOf(newNote),
    });
    const stranger = generateSigner('latchkey.test').verifierKey;
    const wrongKey = await cliInProcess(
      ['audit', 'verify', '--file', genuine, '--key', stranger, '--allow-unsigned'],
      OFFLINE,
    );
    expect(wrongKey.code).toBe(1);
    expect(json(wrongKey)).toMatchObject({ valid: false, checkpoint: { signature: 'invalid' } });
  });

  it('verify catches an event rewritten with its chain recomputed, and a cut-off tail', async () => {
    const { events, checkpoint } = splitExport(exported);
    const size = sizeOf(newNote);
    // The second event's label changed, and every hash after it recomputed: the chain holds.
    const forged: EventLine[] = [];
    for (const event of events) {
      const line: EventLine = { ...event, prev_hash: forged.at(-1)?.hash ?? event.prev_hash };
      if (line.seq === 2) line.target = { ...(line.target as object), label: 'eve' };
      forged.push({ ...line, hash: lineHash(line) });
    }
    const rewritten = [...forged.map((e) => JSON.stringify(e)), JSON.stringify({ checkpoint })];
    const path = file(`${driver}-rewritten.ndjson`, `${rewritten.join('\n')}\n`);
    const caught = await cliInProcess(
      ['audit', 'verify', '--file', path, '--key', key.verifierKey],
      OFFLINE,
    );
    expect(caught.code).toBe(1);
    expect(json(caught)).toMatchObject({
      valid: false,
      checked: events.length,
      first_invalid_seq: 1,
    });
    expect(json(caught).reason).toContain(`signed checkpoint of size ${size}`);

    const cut = [
      ...events.slice(0, size - 2).map((e) => JSON.stringify(e)),
      JSON.stringify({ checkpoint }),
    ];
    const cutPath = file(`${driver}-cut.ndjson`, `${cut.join('\n')}\n`);
    const short = await cliInProcess(
      ['audit', 'verify', '--file', cutPath, '--key', key.verifierKey],
      OFFLINE,
    );
    expect(short.code).toBe(1);
    expect(json(short)).toMatchObject({ valid: false, first_invalid_seq: size - 1 });
  });

  it('verify --checkpoint holds the export to a checkpoint kept apart', async () => {
    const path = file(`${driver}-export2.ndjson`, exported);
    const old = file(`${driver}-old.txt`, oldNote);
    const held = await cliInProcess(
      ['audit', 'verify', '--file', path, '--checkpoint', old, '--key', `@${keyFile}`],
      OFFLINE,
    );
    expect(held.code).toBe(0);
    expect(json(held)).toMatchObject({
      valid: true,
      checkpoint: { size: sizeOf(oldNote), signature: 'verified' },
    });
  });

  it('verify-consistency checks the served proof between two kept checkpoints', async () => {
    const [m, n] = [sizeOf(oldNote), sizeOf(newNote)];
    const proof = file(`${driver}-proof.txt`, await text(`/consistency?from=${m}&to=${n}`, biz));
    const old = file(`${driver}-cp-old.txt`, oldNote);
    const next = file(`${driver}-cp-new.txt`, newNote);
    const args = ['audit', 'verify-consistency', '--old', old, '--new', next, '--proof', proof];
    const held = await cliInProcess([...args, '--key', `@${keyFile}`], OFFLINE);
    expect(held).toMatchObject({ code: 0, stderr: '' });
    expect(json(held)).toEqual({ valid: true, old_size: m, new_size: n, signature: 'verified' });

    const swapped = await cliInProcess(
      [
        'audit',
        'verify-consistency',
        '--old',
        next,
        '--new',
        old,
        '--proof',
        proof,
        '--key',
        key.verifierKey,
      ],
      OFFLINE,
    );
    expect(swapped.code).toBe(1);
    expect(json(swapped)).toMatchObject({ valid: false, old_size: n, new_size: m });

    const inclusion = file(`${driver}-inclusion.txt`, await text(`/1/inclusion?size=${m}`, biz));
    const wrongKind = await cliInProcess(
      ['audit', 'verify-consistency', '--old', old, '--new', next, '--proof', inclusion],
      OFFLINE,
    );
    expect(wrongKind).toMatchObject({ code: 2, stdout: '' });
    expect(wrongKind.stderr).toContain('not a consistency proof');
  });
});
