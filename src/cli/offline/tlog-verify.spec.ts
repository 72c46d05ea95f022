import { createHash } from 'node:crypto';
import { signCheckpoint } from '../../audit/checkpoints/checkpoint-note';
import { consistencyProof, EMPTY_ROOT, Hash, rootOf } from '../../audit/tree/merkle';
import { generateSigner, parseSigner, parseVerifier } from '../../audit/checkpoints/signed-note';
import { checkCheckpoint, checkConsistency, NotACheckpointError } from './tlog-verify';

const leavesOf = (n: number, salt = '') =>
  Array.from({ length: n }, (_, i) => createHash('sha256').update(`${salt}${i}`).digest());

const ORIGIN = 'latchkey.test/audit/b1';
const key = generateSigner('latchkey.test');
const signer = parseSigner(key.signerKey);
const verifier = parseVerifier(key.verifierKey);
const stranger = parseVerifier(generateSigner('latchkey.test').verifierKey);

const noteOf = (leaves: readonly Hash[], origin = ORIGIN) =>
  signCheckpoint({ origin, size: leaves.length, root: rootOf(leaves) }, signer);

describe(checkCheckpoint.name, () => {
  const note = noteOf(leavesOf(5));

  it('reads a checkpoint, and says whether its signature was verified or left unchecked', () => {
    expect(checkCheckpoint(note, verifier)).toMatchObject({
      ok: true,
      signature: 'verified',
      checkpoint: { origin: ORIGIN, size: 5, root: rootOf(leavesOf(5)) },
    });
    expect(checkCheckpoint(note, undefined)).toMatchObject({ ok: true, signature: 'unchecked' });
  });

  it('reads, but does not trust, a checkpoint that another key signed', () => {
    const sut = checkCheckpoint(note, stranger);
    expect(sut).toMatchObject({ ok: false, checkpoint: { size: 5 } });
    expect(sut.ok === false && sut.reason).toContain(`under latchkey.test+${stranger.keyIdHex}`);
  });

  it.each([
    ['a text with no signature', 'latchkey.test/audit/b1\n5\nAAAA\n'],
    ['a signed note that is no checkpoint', note.replace('\n5\n', '\nfive\n')],
    ['an export line', '{"seq":1}\n'],
  ])('refuses %s as no checkpoint, with a key or without', (_, text) => {
    expect(() => checkCheckpoint(text, undefined)).toThrow(NotACheckpointError);
    expect(() => checkCheckpoint(text, verifier)).toThrow(NotACheckpointError);
  });
});

describe(checkConsistency.name, () => {
  const N = 9;
  const all = leavesOf(N);

  function verdict(m: number, n: number, proof = consistencyProof(all.slice(0, n), m)) {
    const [old, next] = [noteOf(all.slice(0, m)), noteOf(all.slice(0, n))];
    return checkConsistency(checkCheckpoint(old, verifier), checkCheckpoint(next, verifier), {
      from: m,
      to: n,
      proof,
    });
  }

  const pairs = Array.from({ length: N + 1 }, (_, n) =>
    Array.from({ length: n + 1 }, (_, m) => [m, n] as const),
  ).flat();

  it.each(pairs)('holds for a log that grew from %i to %i events', (m, n) => {
    expect(verdict(m, n)).toEqual({ valid: true, old_size: m, new_size: n, signature: 'verified' });
  });

  it.each(pairs.filter(([m, n]) => m > 0 && m < n))(
    'fails from %i to %i once the log is rewritten under the old checkpoint',
    (m, n) => {
      // Each leaf the old tree covers, changed in turn; the new tree's honest proof.
      for (let k = 0; k < m; k++) {
        const forked = all.slice(0, n).map((leaf, i) => (i === k ? leavesOf(1, 'x')[0] : leaf));
        const next = noteOf(forked);
        const sut = checkConsistency(
          checkCheckpoint(noteOf(all.slice(0, m)), verifier),
          checkCheckpoint(next, verifier),
          { from: m, to: n, proof: consistencyProof(forked, m) },
        );
        expect({ k, valid: sut.valid }).toEqual({ k, valid: false });
        expect(sut.reason).toContain(`the tree of ${m} events to be a prefix of the tree of ${n}`);
      }
    },
  );

  it('fails once any bit of the proof changes, or a hash is dropped or added', () => {
    const proof = consistencyProof(all, 3);
    expect(verdict(3, N, proof).valid).toBe(true);
    for (let h = 0; h < proof.length; h++) {
      for (let bit = 0; bit < 256; bit += 17) {
        const altered = proof.map((p) => Buffer.from(p));
        altered[h][bit >> 3] ^= 1 << (bit & 7);
        expect({ h, bit, valid: verdict(3, N, altered).valid }).toEqual({ h, bit, valid: false });
      }
    }
    expect(verdict(3, N, proof.slice(1)).valid).toBe(false);
    expect(verdict(3, N, [...proof, proof[0]]).valid).toBe(false);
  });

  it('fails when the proof names other sizes than the checkpoints', () => {
    const [old, next] = [noteOf(all.slice(0, 3)), noteOf(all)];
    const sut = checkConsistency(checkCheckpoint(old, verifier), checkCheckpoint(next, verifier), {
      from: 4,
      to: N,
      proof: consistencyProof(all, 4),
    });
    expect(sut).toMatchObject({ valid: false, old_size: 3, new_size: N });
    expect(sut.reason).toContain(
      'the proof is from size 4 to 9, the checkpoints are of sizes 3 and 9',
    );
  });

  it('fails for checkpoints of two logs, or an old one larger than the new', () => {
    const other = noteOf(all, 'latchkey.test/audit/b2');
    const twoLogs = checkConsistency(
      checkCheckpoint(noteOf(all.slice(0, 3)), verifier),
      checkCheckpoint(other, verifier),
      { from: 3, to: N, proof: consistencyProof(all, 3) },
    );
    expect(twoLogs.reason).toContain('two logs');
    const shrunk = checkConsistency(
      checkCheckpoint(noteOf(all), verifier),
      checkCheckpoint(noteOf(all.slice(0, 3)), verifier),
      { from: N, to: 3, proof: [] },
    );
    expect(shrunk).toMatchObject({
      valid: false,
      reason: 'the old checkpoint is larger than the new one',
    });
  });

  it('fails for an empty old checkpoint with a root that is not the empty tree’s', () => {
    const fake = signCheckpoint({ origin: ORIGIN, size: 0, root: all[0] }, signer);
    const real = signCheckpoint({ origin: ORIGIN, size: 0, root: EMPTY_ROOT }, signer);
    const from = (old: string) =>
      checkConsistency(checkCheckpoint(old, verifier), checkCheckpoint(noteOf(all), verifier), {
        from: 0,
        to: N,
        proof: [],
      });
    expect(from(real).valid).toBe(true);
    expect(from(fake)).toMatchObject({ valid: false, reason: expect.stringContaining('size 0') });
  });

  it('names the checkpoint that another key signed, and leaves unchecked what had no key', () => {
    const [old, next] = [noteOf(all.slice(0, 3)), noteOf(all)];
    const proof = { from: 3, to: N, proof: consistencyProof(all, 3) };
    const forged = checkConsistency(
      checkCheckpoint(old, verifier),
      checkCheckpoint(next, stranger),
      proof,
    );
    expect(forged).toMatchObject({ valid: false, signature: 'invalid' });
    expect(forged.reason).toMatch(/^the new checkpoint: its signature does not hold/);
    expect(
      checkConsistency(checkCheckpoint(old, undefined), checkCheckpoint(next, undefined), proof),
    ).toEqual({ valid: true, old_size: 3, new_size: N, signature: 'unchecked' });
  });
});
