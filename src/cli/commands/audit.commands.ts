import { readFile, stat } from 'node:fs/promises';
import { generateSigner, NoteVerifier, parseVerifier } from '../../audit/checkpoints/signed-note';
import { parseConsistencyProof } from '../../audit/tree/tlog-proof';
import { CliUsageError } from '../grammar/cli-argv';
import { CliCommand, CliRunner } from '../nest/cli-command';
import { runGroup } from '../cli-front';
import {
  AUDIT,
  AUDIT_KEYGEN,
  AUDIT_VERIFY,
  AUDIT_VERIFY_CONSISTENCY,
  auditUsage as usage,
  ConsistencyOptions,
  DEFAULT_KEY_NAME,
} from '../grammar/audit-grammar';
import { exitWith, note, printJson } from '../cli-io';
import { exportNotes, NotNdjsonError, verifyExportFile } from '../offline/export-verify';
import {
  CheckpointCheck,
  checkCheckpoint,
  checkConsistency,
  NotACheckpointError,
  UNCHECKED_SIGNATURE_NOTE,
} from '../offline/tlog-verify';

/**
 * Offline: these commands need no database and no core module, so `run-nest.ts` runs them in a
 * Nest context of their own (`OfflineCliModule`). Every usage error (an option missing, a file
 * that cannot be read or is not what its option says) exits 2; a check that fails exits 1.
 */

/** Past this, an input is no key, checkpoint or proof (a note is at most 1 MiB). */
const MAX_INPUT_BYTES = 4 << 20;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

async function readInput(path: string, flag: string): Promise<Buffer> {
  try {
    if ((await stat(path)).size > MAX_INPUT_BYTES) {
      throw usage(`${flag} ${path}: over ${MAX_INPUT_BYTES} bytes, not what ${flag} takes`);
    }
    return await readFile(path);
  } catch (e) {
    if (e instanceof CliUsageError) throw e;
    throw usage(`Cannot read ${flag} ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

async function readText(path: string, flag: string): Promise<string> {
  try {
    return UTF8.decode(await readInput(path, flag));
  } catch (e) {
    if (e instanceof CliUsageError) throw e;
    throw usage(`${flag} ${path}: not UTF-8 text`);
  }
}

/** `--key`: the verifier key's text, or `@<path>` of a file holding it. */
async function verifierOption(value: string | undefined): Promise<NoteVerifier | undefined> {
  if (value === undefined) return undefined;
  const text = value.startsWith('@') ? await readText(value.slice(1), '--key') : value;
  if (text.trim().startsWith('PRIVATE+KEY+')) {
    throw usage(
      '--key takes the verifier key; the signer key is secret, and stays with the server',
    );
  }
  try {
    return parseVerifier(text);
  } catch (e) {
    throw usage(`--key: not a verifier key (${(e as Error).message})`);
  }
}

/** A signed checkpoint file, its signature checked under the key when there is one. */
async function checkpointFile(
  path: string,
  flag: string,
  verifier: NoteVerifier | undefined,
): Promise<{ text: string; check: CheckpointCheck }> {
  const text = await readText(path, flag);
  try {
    return { text, check: checkCheckpoint(text, verifier) };
  } catch (e) {
    if (e instanceof NotACheckpointError) throw usage(`${flag} ${path}: ${e.message}`);
    throw e;
  }
}

/** The verdict on stdout, what an unchecked signature means on stderr, and exit 1 when invalid. */
function answer(verdict: { valid: boolean }, unchecked: boolean): void {
  printJson(verdict);
  if (unchecked) note(UNCHECKED_SIGNATURE_NOTE);
  if (!verdict.valid) exitWith(1);
}

@CliCommand(AUDIT_KEYGEN)
export class AuditKeygenCommand extends CliRunner {
  run(params: string[], options: { name?: string }): Promise<void> {
    AUDIT_KEYGEN.argv(params);
    let pair: { signerKey: string; verifierKey: string };
    try {
      pair = generateSigner(options.name ?? DEFAULT_KEY_NAME);
    } catch (e) {
      throw usage(`--name: ${(e as Error).message}`);
    }
    printJson({ signer_key: pair.signerKey, verifier_key: pair.verifierKey });
    note(
      'Keep signer_key secret, apart from the database: give it to the server as ' +
        'AUDIT_SIGNING_KEY (or in a file, mode 0600, named by AUDIT_SIGNING_KEY_FILE). ' +
        'Give verifier_key to whoever checks exports and checkpoints (audit verify --key).',
    );
    return Promise.resolve();
  }
}

@CliCommand(AUDIT_VERIFY)
export class AuditVerifyCommand extends CliRunner {
  async run(
    params: string[],
    options: { file?: string; checkpoint?: string; key?: string; allowUnsigned?: boolean },
  ): Promise<void> {
    const file = AUDIT_VERIFY.argv(params, options);
    const verifier = await verifierOption(options.key);
    const checkpoint =
      options.checkpoint === undefined
        ? undefined
        : (await checkpointFile(options.checkpoint, '--checkpoint', undefined)).text;
    const allowUnsigned = options.allowUnsigned === true;
    const verdict = await verifyExportFile(file, { checkpoint, verifier, allowUnsigned }).catch(
      (e: NodeJS.ErrnoException) => {
        if (e instanceof NotNdjsonError) throw usage(`${file}: ${e.message}`);
        throw usage(`Cannot read ${file} (${e.code ?? e.message})`);
      },
    );
    printJson(verdict);
    for (const line of exportNotes(verdict, verifier !== undefined)) note(line);
    if (!verdict.valid) exitWith(1);
  }
}

@CliCommand(AUDIT_VERIFY_CONSISTENCY)
export class AuditVerifyConsistencyCommand extends CliRunner {
  async run(params: string[], options: ConsistencyOptions): Promise<void> {
    const files = AUDIT_VERIFY_CONSISTENCY.argv(params, options);
    const verifier = await verifierOption(options.key);
    const old = await checkpointFile(files.old, '--old', verifier);
    const next = await checkpointFile(files.next, '--new', verifier);
    const proofText = await readText(files.proof, '--proof');
    let proof: ReturnType<typeof parseConsistencyProof>;
    try {
      proof = parseConsistencyProof(proofText);
    } catch (e) {
      throw usage(`--proof ${files.proof}: not a consistency proof (${(e as Error).message})`);
    }
    const verdict = checkConsistency(old.check, next.check, proof);
    answer(verdict, verdict.signature === 'unchecked');
  }
}

@CliCommand(AUDIT)
export class AuditCommand extends CliRunner {
  run(params: string[]): Promise<void> {
    runGroup(this.command, params);
  }
}

export const AUDIT_COMMANDS = [
  AuditCommand,
  AuditKeygenCommand,
  AuditVerifyCommand,
  AuditVerifyConsistencyCommand,
];
