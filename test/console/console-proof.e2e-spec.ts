import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Test } from 'supertest';
import {
  proveGrowth,
  type GrowthInputs,
  type GrowthVerdict,
} from '../../console/src/features/audit/proof/prove-growth';
import { AuditCheckpointer } from '../../src/audit/checkpoints/audit-checkpointer';
import { DEFAULT_KEY_FILE } from '../../src/audit/checkpoints/audit-signer';
import {
  generateSigner,
  NoteSigner,
  parseSigner,
  readNote,
  signNote,
} from '../../src/audit/checkpoints/signed-note';
import { BusinessFixture, createBusiness, createToken } from '../factories/tenancy.factory';
import { asOwner, Caller } from '../harness/app/api';
import { bootTestApp, TestApp } from '../harness/app/test-app';

/**
 * The admin console's proof checker (console/src/features/audit/proof, WebCrypto) against what the real server
 * signs and proves. Node 20 has the browser's `crypto.subtle`, Ed25519 included, so the console's
 * own modules run here unchanged, called as the Audit screen calls them
 * (console/src/features/audit/AuditIntegrity.tsx): the verifier key, a saved checkpoint, the latest
 * checkpoint and the consistency proof, each the text the server answered.
 */

/** The chain's size at each signed checkpoint: powers of two and not, and a turn with no growth. */
const SIZES = [4, 5, 7, 8, 8, 13, 16, 21] as const;
const LATEST = SIZES[SIZES.length - 1];
/** Past AUDIT_CHECKPOINT_EVERY_SECONDS (a day, in bootTestApp): every grown chain is due. */
const DAY = 2 * 86_400_000;

/** A base64 hash with one bit of its first byte changed. */
function flipHash(line: string): string {
  const bytes = Buffer.from(line, 'base64');
  bytes[0] ^= 0x01;
  return bytes.toString('base64');
}

/** A checkpoint's text (origin, size, root: lines 0 to 2) with one line rewritten. */
function editLine(text: string, index: 0 | 1 | 2, edit: (line: string) => string): string {
  const lines = text.split('\n');
  lines[index] = edit(lines[index]);
  return lines.join('\n');
}

/** A note's signed text, rewritten and signed again: by an impostor, or by the real key. */
function resign(note: string, signer: NoteSigner, edit = (text: string) => text): string {
  return signNote(edit(readNote(note).text), signer);
}

const proofLines = (proof: string) => proof.slice(0, -1).split('\n');
const proofText = (lines: string[]) => `${lines.join('\n')}\n`;

describe('the console’s proof of growth against the server', () => {
  let t: TestApp;
  let biz: BusinessFixture;
  let other: BusinessFixture;
  let clock = Date.now();
  /** The installation's own signer, from the key file the first start made beside the database. */
  let installation: NoteSigner;
  /** Another key under the installation's key name: what an attacker without the key can sign. */
  let impostor: NoteSigner;
  /** What GET …/checkpoint answered after each signing turn, as a person downloads it. */
  const saved: string[] = [];

  const getText = (path: string, caller: Caller): Test =>
    t
      .http()
      .get(path)
      .set(caller)
      .buffer(true)
      .parse((res, done) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => done(null, body));
      });

  /** The body of a 200 as text, as console/src/api/resources/audit.api.ts asks for it. */
  async function body(path: string, caller: Caller = {}): Promise<string> {
    const res = await getText(path, caller);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${String(res.body)}`);
    return res.body as string;
  }
  const verifierKey = () => body('/.well-known/latchkey-audit-key');
  const latestOf = (of: BusinessFixture) => body('/api/v1/audit-events/checkpoint', asOwner(of));
  const consistency = (m: number, n: number) =>
    body(`/api/v1/audit-events/consistency?from=${m}&to=${n}`, asOwner(biz));

  async function signTurn(): Promise<void> {
    await t.app.get(AuditCheckpointer).runTurn(new Date((clock += DAY)));
  }

  /** The Audit screen's call: the key and the latest checkpoint fetched, the proof on demand. */
  async function prove(
    savedNote: string,
    inputs: Partial<GrowthInputs> = {},
  ): Promise<GrowthVerdict> {
    return proveGrowth({
      keyText: await verifierKey(),
      savedNote,
      latestNote: await latestOf(biz),
      fetchProof: consistency,
      ...inputs,
    });
  }

  const refused = (why: RegExp) => ({ ok: false, message: expect.stringMatching(why) });

  beforeAll(async () => {
    t = await bootTestApp('sqlite', { AUDIT_CHECKPOINT_EVERY_EVENTS: '1000000' });
    const keyFile = join(dirname(t.db.env.SQLITE_PATH), DEFAULT_KEY_FILE);
    installation = parseSigner(readFileSync(keyFile, 'utf8'));
    impostor = parseSigner(generateSigner(installation.name).signerKey);
    expect(`${installation.verifier.text}\n`).toBe(await verifierKey());
    biz = await createBusiness(t);
    other = await createBusiness(t);
    await signTurn();
    let size = Number((await latestOf(biz)).split('\n')[1]);
    expect(size).toBeLessThanOrEqual(SIZES[0]);
    for (const target of SIZES) {
      // Each token made is one event in the business's chain.
      while (size < target) await createToken(t, asOwner(biz), { name: `grow-${++size}` });
      await signTurn();
      const note = await latestOf(biz);
      expect(note.split('\n')[1]).toBe(String(target));
      saved.push(note);
    }
  });

  afterAll(async () => {
    await t?.close();
  });

  it.each(SIZES.map((size, i) => [size, i] as const))(
    'proves growth from saved checkpoint %# (%i events) to the latest',
    async (size, i) => {
      await expect(prove(saved[i])).resolves.toEqual({
        ok: true,
        from: size,
        to: LATEST,
        message: `Grew from ${size} to ${LATEST}: proved${size === LATEST ? ' (no new events)' : ''}`,
      });
    },
  );

  it('proves growth between every two saved checkpoints, older to newer', async () => {
    const proved: string[] = [];
    for (const [i, m] of SIZES.entries()) {
      for (const [j, n] of SIZES.entries()) {
        if (j < i) continue;
        if ((await prove(saved[i], { latestNote: saved[j] })).ok) proved.push(`${m}→${n}`);
      }
    }
    expect(proved).toEqual(SIZES.flatMap((m, i) => SIZES.slice(i).map((n) => `${m}→${n}`)));
  });

  describe('refuses', () => {
    const older = SIZES.slice(0, -1).map((size, i) => [size, i] as const);

    it.each(older)('saved checkpoint %# (%i events) whose root was changed', async (_m, i) => {
      const forged = editLine(saved[i], 2, flipHash);
      await expect(prove(forged)).resolves.toEqual(
        refused(/^Not proved: the saved checkpoint .*signature by .* does not verify$/),
      );
    });

    it('a latest checkpoint whose root was changed', async () => {
      const latestNote = editLine(await latestOf(biz), 2, flipHash);
      await expect(prove(saved[0], { latestNote })).resolves.toEqual(
        refused(/^Not proved: the latest checkpoint .*signature by .* does not verify$/),
      );
    });

    it.each([
      ['one more', (n: number) => n + 1],
      ['one fewer', (n: number) => n - 1],
      ['the latest size', () => LATEST],
    ])('a saved checkpoint whose size line was edited to %s', async (_what, edit) => {
      const forged = editLine(saved[1], 1, (line) => String(edit(Number(line))));
      await expect(prove(forged)).resolves.toEqual(
        refused(/^Not proved: the saved checkpoint .*signature by .* does not verify$/),
      );
    });

    it('a checkpoint signed by another key of the same name, even one saying the same', async () => {
      await expect(prove(resign(saved[0], impostor))).resolves.toEqual(
        refused(/^Not proved: the saved checkpoint .*no trusted key signed the note/),
      );
      const latestNote = resign(await latestOf(biz), impostor, (text) =>
        editLine(text, 2, flipHash),
      );
      await expect(prove(saved[0], { latestNote })).resolves.toEqual(
        refused(/^Not proved: the latest checkpoint .*no trusted key signed the note/),
      );
    });

    it('a newer checkpoint that is smaller than the saved one', async () => {
      for (const [m, i] of older) {
        const larger = SIZES.findIndex((n) => n > m);
        await expect(prove(saved[larger], { latestNote: saved[i] })).resolves.toEqual(
          refused(
            new RegExp(`^Not proved: the log shrank: .* ${SIZES[larger]} events, the latest ${m}$`),
          ),
        );
      }
    });

    it('a saved checkpoint of another business’s log', async () => {
      await expect(prove(await latestOf(other))).resolves.toEqual(
        refused(/^Not proved: the saved checkpoint is of another log/),
      );
    });

    it('a proof with any one of its hashes changed', async () => {
      const held: string[] = [];
      let tried = 0;
      for (const [m, i] of older) {
        const lines = proofLines(await consistency(m, LATEST));
        for (let k = 3; k < lines.length; k++) {
          const bent = lines.map((line, at) => (at === k ? flipHash(line) : line));
          const verdict = await prove(saved[i], {
            fetchProof: () => Promise.resolve(proofText(bent)),
          });
          tried++;
          if (verdict.ok || !verdict.message.endsWith('does not hold: the log was rewritten')) {
            held.push(`${m}→${LATEST}, hash ${k - 2}: ${verdict.message}`);
          }
        }
      }
      expect(tried).toBeGreaterThan(older.length);
      expect(held).toEqual([]);
    });

    it('a proof with a hash left out or added, or one between other sizes', async () => {
      const lines = proofLines(await consistency(SIZES[1], LATEST));
      for (const bent of [
        lines.slice(0, -1),
        [...lines, lines[3]],
        [...lines.slice(0, 3), ...lines.slice(4)],
      ]) {
        await expect(
          prove(saved[1], { fetchProof: () => Promise.resolve(proofText(bent)) }),
        ).resolves.toEqual(refused(/does not hold: the log was rewritten$/));
      }
      const elsewhere = await consistency(SIZES[0], LATEST);
      await expect(
        prove(saved[1], { fetchProof: () => Promise.resolve(elsewhere) }),
      ).resolves.toEqual(
        refused(new RegExp(`^Not proved: the proof is from ${SIZES[0]} to ${LATEST}, not from`)),
      );
    });

    /**
     * A log rewritten by whoever holds the signing key (the server itself, or a thief of its key)
     * signs fine: only the consistency proof between the saved root and the new one catches it.
     */
    describe('a rewrite signed with the installation’s own key', () => {
      it.each(older)('saved checkpoint %# (%i events) with another root', async (m, i) => {
        const rewritten = resign(saved[i], installation, (text) => editLine(text, 2, flipHash));
        await expect(prove(rewritten)).resolves.toEqual(
          refused(
            new RegExp(`^Not proved: the consistency proof from ${m} to ${LATEST} does not hold`),
          ),
        );
      });

      it('a latest checkpoint with another root', async () => {
        const latestNote = resign(await latestOf(biz), installation, (text) =>
          editLine(text, 2, flipHash),
        );
        for (const [m, i] of older) {
          await expect(prove(saved[i], { latestNote })).resolves.toEqual(
            refused(new RegExp(`^Not proved: the consistency proof from ${m} to ${LATEST}`)),
          );
        }
        await expect(prove(saved.at(-1)!, { latestNote })).resolves.toEqual(
          refused(/^Not proved: both checkpoints have \d+ events but different roots/),
        );
      });

      it('a saved checkpoint that claims one event more than its root holds', async () => {
        const rewritten = resign(saved[1], installation, (text) =>
          editLine(text, 1, (line) => String(Number(line) + 1)),
        );
        await expect(prove(rewritten)).resolves.toEqual(
          refused(/^Not proved: the consistency proof from \d+ to \d+ does not hold/),
        );
      });
    });
  });
});
