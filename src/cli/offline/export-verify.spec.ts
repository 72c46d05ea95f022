import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  canonicalEvent,
  chainHash,
  ChainedEvent,
  GENESIS_HASH,
} from '../../audit/chain/audit-chain';
import { signCheckpoint } from '../../audit/checkpoints/checkpoint-note';
import { canonicalJson } from '../../audit/codec/canonical-json';
import { EMPTY_ROOT, leafHash, rootOf } from '../../audit/tree/merkle';
import { generateSigner, parseSigner, parseVerifier } from '../../audit/checkpoints/signed-note';
import {
  ExportCheckOptions,
  exportNotes,
  NO_CHECKPOINT_REASON,
  verifyExportFile,
  verifyExportLines,
} from './export-verify';
import { UNCHECKED_SIGNATURE_NOTE } from './tlog-verify';

function eventsOf(n: number): ChainedEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`,
    seq: i + 1,
    business_id: null,
    occurred_at: new Date(Date.UTC(2025, 0, 1, 0, 0, 0, i + 1)).toISOString(),
    origin: 'cli',
    action: 'token.revoked',
    outcome: 'success',
    actor: { id: null, type: 'system', label: 'cli' },
    target: { type: 'token', id: `t${i + 1}`, label: 'ci' },
    request_id: null,
    ip: null,
    user_agent: null,
    metadata: { reason: 'leaked', n: i + 1, nested: { b: 1, a: [true, null] } },
  }));
}

/** The NDJSON lines of these events, chained as the server chains them. */
function chained(events: readonly ChainedEvent[]): string[] {
  let prev = GENESIS_HASH;
  return events.map((event) => {
    const hash = chainHash(prev, event);
    const line = JSON.stringify({ ...event, prev_hash: prev, hash });
    prev = hash;
    return line;
  });
}

const exportOf = (n: number) => chained(eventsOf(n));

/** The tree rule of docs/api.md: leaf = SHA-256(0x00 ‖ the event's canonical JSON). */
const rootOfEvents = (events: readonly ChainedEvent[]) =>
  rootOf(events.map((e) => leafHash(Buffer.from(canonicalEvent(e), 'utf8'))));

const ORIGIN = 'latchkey.test/audit/platform';
const key = generateSigner('latchkey.test');
const signer = parseSigner(key.signerKey);
const verifier = parseVerifier(key.verifierKey);

/** The server's signed checkpoint of the first `size` of these events. */
const checkpointOf = (events: readonly ChainedEvent[], size: number) =>
  signCheckpoint({ origin: ORIGIN, size, root: rootOfEvents(events.slice(0, size)) }, signer);
const trailer = (note: string) => JSON.stringify({ checkpoint: note });

const verify = (lines: string[], options?: ExportCheckOptions) => verifyExportLines(lines, options);

/** What a verdict says when nothing in the file was checked against a key. */
const UNSIGNED = { checkpoint_checked: false, signed_through_seq: 0 };

describe(verifyExportLines.name, () => {
  it('accepts an untouched export, and an empty one', async () => {
    await expect(verify([...exportOf(5), ''])).resolves.toEqual({
      valid: true,
      checked: 5,
      first_invalid_seq: null,
      ...UNSIGNED,
    });
    await expect(verify([])).resolves.toEqual({
      valid: true,
      checked: 0,
      first_invalid_seq: null,
      ...UNSIGNED,
    });
  });

  it.each([
    ['an edited field', (l: string[]) => (l[2] = l[2].replace('"leaked"', '"rotated"'))],
    ['an added field', (l: string[]) => (l[2] = l[2].replace('{', '{"extra":1,'))],
    ['a line that is not JSON', (l: string[]) => (l[2] = l[2].slice(1))],
    ['a deleted line', (l: string[]) => l.splice(2, 1)],
    ['two lines swapped', (l: string[]) => ([l[2], l[3]] = [l[3], l[2]])],
  ])('names the first broken seq after %s', async (_what, tamper) => {
    const lines = exportOf(6);
    tamper(lines);
    await expect(verify(lines)).resolves.toEqual({
      valid: false,
      checked: 3,
      first_invalid_seq: 3,
      ...UNSIGNED,
    });
  });

  it('refuses an export that does not start at the genesis hash', async () => {
    await expect(verify(exportOf(4).slice(1))).resolves.toMatchObject({
      valid: false,
      first_invalid_seq: 1,
    });
  });

  it.each([
    ['an added key', (e: Record<string, unknown>) => ({ ...e, note: 'x' })],
    ['origin as null', (e: Record<string, unknown>) => ({ ...e, origin: null })],
    ['a number for an action', (e: Record<string, unknown>) => ({ ...e, action: 7 })],
  ])(
    'refuses %s even when every hash after it is recomputed by the generic rule',
    async (_what, reshape) => {
      let prev = GENESIS_HASH;
      const lines = exportOf(4).map((line, i) => {
        const event = JSON.parse(line) as Record<string, unknown>;
        delete event.prev_hash;
        delete event.hash;
        const body = i === 1 ? reshape(event) : event;
        const hash = createHash('sha256')
          .update(prev + canonicalJson(body))
          .digest('hex');
        const forged = JSON.stringify({ ...body, prev_hash: prev, hash });
        prev = hash;
        return forged;
      });
      await expect(verify(lines)).resolves.toEqual({
        valid: false,
        checked: 2,
        first_invalid_seq: 2,
        ...UNSIGNED,
      });
    },
  );
});

describe(`${verifyExportLines.name} with a signed checkpoint`, () => {
  const events = eventsOf(6);
  const lines = chained(events);
  const withTrailer = (size: number) => [...lines, trailer(checkpointOf(events, size))];
  const summary = (size: number, signature: string) => ({ origin: ORIGIN, size, signature });

  it("holds the events to the export's last line, under the key", async () => {
    await expect(verify(withTrailer(4), { verifier })).resolves.toEqual({
      valid: true,
      checked: 6,
      first_invalid_seq: null,
      checkpoint: summary(4, 'verified'),
      checkpoint_checked: true,
      signed_through_seq: 4,
    });
  });

  it('says when the signature went unchecked, for want of a key', async () => {
    await expect(verify(withTrailer(6))).resolves.toMatchObject({
      valid: true,
      checkpoint: summary(6, 'unchecked'),
      ...UNSIGNED,
    });
  });

  it('trusts no event under a checkpoint another key signed', async () => {
    const other = parseVerifier(generateSigner('latchkey.test').verifierKey);
    const verdict = await verify(withTrailer(4), { verifier: other });
    expect(verdict).toMatchObject({
      valid: false,
      checked: 6,
      first_invalid_seq: 1,
      checkpoint: summary(4, 'invalid'),
      checkpoint_checked: true,
      signed_through_seq: 0,
    });
    expect(verdict.reason).toMatch(/not trusted: .*no trusted key signed/);
  });

  /** Event `at` rewritten, and the whole chain recomputed after it: the chain holds. */
  function rewritten(at: number, size: number): string[] {
    const forged = events.map((e) => (e.seq === at ? { ...e, action: 'token.created' } : e));
    return [...chained(forged), trailer(checkpointOf(events, size))];
  }

  // Every size × every rewritten event: the tree catches exactly the rewrites it covers.
  const cases = [0, 1, 2, 3, 4, 5, 6].flatMap((size) =>
    [1, 2, 3, 4, 5, 6].map((at) => [size, at] as const),
  );
  it.each(cases)('a checkpoint of size %i, event %i rewritten with its chain', async (size, at) => {
    const verdict = await verify(rewritten(at, size), { verifier });
    if (at > size) {
      // Past the checkpoint, the chain alone speaks, and a recomputed chain holds.
      expect(verdict).toMatchObject({
        valid: true,
        checkpoint: summary(size, 'verified'),
        checkpoint_checked: true,
        signed_through_seq: size,
      });
    } else {
      expect(verdict).toMatchObject({
        valid: false,
        checked: 6,
        first_invalid_seq: 1,
        checkpoint_checked: true,
        signed_through_seq: 0,
      });
      expect(verdict.reason).toContain(`root of the signed checkpoint of size ${size}`);
    }
  });

  it('names the first missing seq when events were cut off under the checkpoint', async () => {
    const note = checkpointOf(events, 6);
    const verdict = await verify([...lines.slice(0, 4), trailer(note)], { verifier });
    expect(verdict).toMatchObject({ valid: false, checked: 4, first_invalid_seq: 5 });
    expect(verdict.reason).toContain('covers 6 events, the file holds 4');
  });

  it("leaves a checkpoint past the chain's first break unjudged, as the server does", async () => {
    const edited = withTrailer(4);
    edited[1] = edited[1].replace('"leaked"', '"rotated"');
    await expect(verify(edited, { verifier })).resolves.toEqual({
      valid: false,
      checked: 2,
      first_invalid_seq: 2,
      checkpoint: summary(4, 'verified'),
      ...UNSIGNED,
    });
    const late = withTrailer(4);
    late[5] = late[5].replace('"leaked"', '"rotated"');
    await expect(verify(late, { verifier })).resolves.toMatchObject({ first_invalid_seq: 6 });
  });

  it('holds the events to a checkpoint given apart, over the one the file ends with', async () => {
    const apart = checkpointOf(events, 5);
    await expect(verify(withTrailer(2), { checkpoint: apart, verifier })).resolves.toMatchObject({
      valid: true,
      checkpoint: summary(5, 'verified'),
    });
    const wrong = checkpointOf(eventsOf(5).reverse(), 5);
    await expect(verify(lines, { checkpoint: wrong, verifier })).resolves.toMatchObject({
      valid: false,
      first_invalid_seq: 1,
    });
  });

  it('accepts an empty checkpoint: the empty tree has its one root', async () => {
    const note = signCheckpoint({ origin: ORIGIN, size: 0, root: EMPTY_ROOT }, signer);
    await expect(verify([trailer(note)], { verifier })).resolves.toEqual({
      valid: true,
      checked: 0,
      first_invalid_seq: null,
      checkpoint: summary(0, 'verified'),
      checkpoint_checked: true,
      signed_through_seq: 0,
    });
  });

  it('refuses a checkpoint line anywhere but last', async () => {
    const note = trailer(checkpointOf(events, 2));
    const file = [...lines.slice(0, 3), note, ...lines.slice(3)];
    const verdict = await verify(file, { verifier, allowUnsigned: true });
    expect(verdict).toMatchObject({ valid: false, checked: 3, first_invalid_seq: 4 });
    expect(verdict.reason).toContain("a checkpoint line must be the export's last");
    // The file ends with no checkpoint: under the key, none of it holds.
    await expect(verify(file, { verifier })).resolves.toMatchObject({ first_invalid_seq: 1 });
  });

  it('refuses a last line that claims to be a checkpoint and holds none', async () => {
    const verdict = await verify([...lines, trailer('not a note\n')]);
    expect(verdict).toMatchObject({ valid: false, checked: 6, first_invalid_seq: 1 });
    expect(verdict.reason).toContain('not a signed checkpoint');
  });

  it.each([
    ['a second key', (note: string) => JSON.stringify({ checkpoint: note, size: 4 })],
    ['the key twice', (note: string) => `{"checkpoint":"x","checkpoint":${JSON.stringify(note)}}`],
    ['a note that is no string', () => JSON.stringify({ checkpoint: 4 })],
  ])('reads a last line with %s as an event, which does not hold', async (_, line) => {
    const file = [...lines, line(checkpointOf(events, 4))];
    const verdict = await verify(file, { verifier, allowUnsigned: true });
    expect(verdict).toMatchObject({ valid: false, checked: 7, first_invalid_seq: 7 });
    expect(verdict.checkpoint).toBeUndefined();
    await expect(verify(file, { verifier })).resolves.toMatchObject({ first_invalid_seq: 1 });
  });
});

describe(`${verifyExportLines.name}: a key means a checkpoint is required`, () => {
  const events = eventsOf(5);
  const stranger = parseVerifier(generateSigner('latchkey.test').verifierKey);
  // The attack: every event rewritten, the chain recomputed from scratch, the checkpoint dropped.
  const forged = chained(events.map((e) => ({ ...e, target: { ...e.target, label: 'eve' } })));
  const files = {
    'a genuine export with its checkpoint': [...chained(events), trailer(checkpointOf(events, 4))],
    'a genuine export with no checkpoint': chained(events),
    'a forged chain with no checkpoint': forged,
  };
  const keys = { 'no key': undefined, 'the right key': verifier, 'another key': stranger };
  type File = keyof typeof files;
  type Key = keyof typeof keys;
  /** [valid without --allow-unsigned, valid with it, signed_through_seq], for every pair. */
  const expected: Record<File, Record<Key, [boolean, boolean, number]>> = {
    'a genuine export with its checkpoint': {
      'no key': [true, true, 0],
      'the right key': [true, true, 4],
      'another key': [false, false, 0],
    },
    'a genuine export with no checkpoint': {
      'no key': [true, true, 0],
      'the right key': [false, true, 0],
      'another key': [false, true, 0],
    },
    'a forged chain with no checkpoint': {
      'no key': [true, true, 0],
      'the right key': [false, true, 0],
      'another key': [false, true, 0],
    },
  };
  const cases = (Object.keys(files) as File[]).flatMap((file) =>
    (Object.keys(keys) as Key[]).flatMap((key) =>
      [false, true].map((allowUnsigned) => [file, key, allowUnsigned] as const),
    ),
  );

  it.each(cases)('%s, %s, --allow-unsigned %s', async (file, key, allowUnsigned) => {
    const [strict, lenient, signedThrough] = expected[file][key];
    const verdict = await verify(files[file], { verifier: keys[key], allowUnsigned });
    const valid = allowUnsigned ? lenient : strict;
    expect(verdict).toMatchObject({
      valid,
      first_invalid_seq: valid ? null : 1,
      signed_through_seq: signedThrough,
      checkpoint_checked: key !== 'no key' && file === 'a genuine export with its checkpoint',
    });
    const missing = key !== 'no key' && !allowUnsigned && !file.includes('its checkpoint');
    expect(verdict.reason?.startsWith(NO_CHECKPOINT_REASON) ?? false).toBe(missing);
  });
});

describe(exportNotes.name, () => {
  const events = eventsOf(6);
  const lines = chained(events);

  it('says why an export does not hold, and that a file with no checkpoint needs one', async () => {
    const verdict = await verify(lines, { verifier });
    expect(exportNotes(verdict, true)).toEqual([
      `The export does not hold from seq 1: ${NO_CHECKPOINT_REASON}.`,
    ]);
  });

  it('says that nothing was checked against the key when --allow-unsigned took the chain', async () => {
    const verdict = await verify(lines, { verifier, allowUnsigned: true });
    expect(exportNotes(verdict, true)).toEqual([
      expect.stringMatching(/^Nothing was checked against --key: the file carries no checkpoint/),
    ]);
    expect(exportNotes(await verify(lines), false)).toEqual([
      expect.stringMatching(/^The file carries no checkpoint: its chain alone was checked/),
    ]);
  });

  it('names the events past the signed checkpoint, and says nothing when it covers them all', async () => {
    const partly = await verify([...lines, trailer(checkpointOf(events, 4))], { verifier });
    expect(exportNotes(partly, true)).toEqual([
      expect.stringContaining('The events from seq 5 to 6 are past the signed checkpoint'),
    ]);
    const whole = await verify([...lines, trailer(checkpointOf(events, 6))], { verifier });
    expect(exportNotes(whole, true)).toEqual([]);
  });

  it("says that a checkpoint's signature went unchecked for want of a key", async () => {
    const unchecked = await verify([...lines, trailer(checkpointOf(events, 6))]);
    expect(exportNotes(unchecked, false)).toEqual([UNCHECKED_SIGNATURE_NOTE]);
  });
});

describe(verifyExportFile.name, () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'export-verify-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function file(name: string, text: string): string {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  }

  it('reads the checkpoint from the end of the file first, whatever its line breaks', async () => {
    const events = eventsOf(40);
    const lines = [...chained(events), trailer(checkpointOf(events, 33))];
    for (const [name, text] of [
      ['lf.ndjson', `${lines.join('\n')}\n`],
      ['crlf.ndjson', `${lines.join('\r\n')}\r\n\r\n  \n`],
      ['bare.ndjson', lines.join('\n')],
    ]) {
      await expect(verifyExportFile(file(name, text), { verifier })).resolves.toMatchObject({
        valid: true,
        checked: 40,
        checkpoint: { size: 33, signature: 'verified' },
      });
    }
  });

  it('reads a last line longer than one read from the end', async () => {
    const events = eventsOf(3);
    const root = rootOfEvents(events);
    const long = 'x'.repeat(200_000);
    const note = signCheckpoint({ origin: ORIGIN, size: 3, root, extensions: [long] }, signer);
    const path = file('long.ndjson', `${[...chained(events), trailer(note)].join('\n')}\n`);
    await expect(verifyExportFile(path, { verifier })).resolves.toMatchObject({
      valid: true,
      checkpoint: { size: 3, signature: 'verified' },
    });
  });

  it('verifies an export with no checkpoint line as a chain, as before', async () => {
    const path = file('old.ndjson', `${exportOf(3).join('\n')}\n`);
    await expect(verifyExportFile(path)).resolves.toEqual({
      valid: true,
      checked: 3,
      first_invalid_seq: null,
      ...UNSIGNED,
    });
  });
});
