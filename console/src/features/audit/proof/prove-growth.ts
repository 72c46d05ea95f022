import { equal } from './bytes';
import { openCheckpoint, type OpenedCheckpoint } from './checkpoint';
import { parseConsistencyProof } from './consistency-proof';
import { verifyConsistency } from './merkle';
import { parseVerifier, type NoteVerifier } from './signed-note';

export type GrowthVerdict =
  { ok: true; from: number; to: number; message: string } | { ok: false; message: string };

export interface GrowthInputs {
  /** The installation's verifier key, `<name>+<id>+<base64>` (GET /.well-known/latchkey-audit-key). */
  keyText: string;
  /** A checkpoint saved earlier. */
  savedNote: string;
  /** The latest checkpoint. */
  latestNote: string;
  /** GET …/audit-events/consistency?from=&to=, as text. */
  fetchProof: (from: number, to: number) => Promise<string>;
}

const why = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function open(
  note: string,
  key: NoteVerifier,
  which: string,
): Promise<OpenedCheckpoint | string> {
  try {
    return await openCheckpoint(note, [key]);
  } catch (e) {
    return `the ${which} checkpoint does not verify under the installation's key: ${why(e)}`;
  }
}

/**
 * Proves, in the browser, that the log only grew since a saved checkpoint: both notes carry a
 * valid Ed25519 signature by the installation's key, and the RFC 6962 consistency proof from the
 * saved size to the latest holds between the two signed roots.
 */
export async function proveGrowth(inputs: GrowthInputs): Promise<GrowthVerdict> {
  const fail = (message: string): GrowthVerdict => ({
    ok: false,
    message: `Not proved: ${message}`,
  });
  let key: NoteVerifier;
  try {
    key = await parseVerifier(inputs.keyText);
  } catch (e) {
    return fail(`the installation's verifier key is not usable: ${why(e)}`);
  }
  const saved = await open(inputs.savedNote, key, 'saved');
  if (typeof saved === 'string') return fail(saved);
  const latest = await open(inputs.latestNote, key, 'latest');
  if (typeof latest === 'string') return fail(latest);
  if (saved.origin !== latest.origin) {
    return fail(`the saved checkpoint is of another log (${saved.origin}, not ${latest.origin})`);
  }
  const [m, n] = [saved.size, latest.size];
  if (m > n) return fail(`the log shrank: the saved checkpoint has ${m} events, the latest ${n}`);
  if (m === n) {
    return equal(saved.root, latest.root)
      ? { ok: true, from: m, to: n, message: `Grew from ${m} to ${n}: proved (no new events)` }
      : fail(`both checkpoints have ${m} events but different roots: the log was rewritten`);
  }
  let proofText: string;
  try {
    proofText =
      m === 0 ? `latchkey.audit-consistency@v1\nold 0\nnew ${n}\n` : await inputs.fetchProof(m, n);
  } catch (e) {
    return fail(`could not fetch the consistency proof: ${why(e)}`);
  }
  let proof;
  try {
    proof = parseConsistencyProof(proofText);
  } catch (e) {
    return fail(`the consistency proof is malformed: ${why(e)}`);
  }
  if (proof.from !== m || proof.to !== n) {
    return fail(`the proof is from ${proof.from} to ${proof.to}, not from ${m} to ${n}`);
  }
  const holds = await verifyConsistency(m, n, saved.root, latest.root, proof.proof);
  return holds
    ? { ok: true, from: m, to: n, message: `Grew from ${m} to ${n}: proved` }
    : fail(`the consistency proof from ${m} to ${n} does not hold: the log was rewritten`);
}
