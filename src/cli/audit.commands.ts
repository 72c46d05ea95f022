import { readFile, stat } from 'node:fs/promises';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { generateSigner, NoteVerifier, parseVerifier } from '../audit/signed-note';
import { parseConsistencyProof } from '../audit/tlog-proof';
import { note, printJson } from './cli-io';
import { runGroup } from './command-group';
import { NotNdjsonError, verifyExportFile } from './export-verify';
import {
  CheckpointCheck,
  checkCheckpoint,
  checkConsistency,
  NotACheckpointError,
  UNCHECKED_SIGNATURE_NOTE,
} from './tlog-verify';
import { CliUsageError } from './validate-dto';

/**
 * Offline: these commands need no database and no core module, so `main.ts` runs them in a
 * Nest context of their own (`AuditCliModule`). Every usage error (an option missing, a file
 * that cannot be read or is not what its option says) exits 2; a check that fails exits 1.
 */

const DEFAULT_KEY_NAME = 'latchkey-audit';
/** Past this, an input is no key, checkpoint or proof (a note is at most 1 MiB). */
const MAX_INPUT_BYTES = 4 << 20;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

const usage = (message: string) => new CliUsageError(message, 2);

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
  if (!verdict.valid) process.exitCode = 1;
}

@SubCommand({
  name: 'keygen',
  description:
    'Make an Ed25519 key pair for signing audit checkpoints (c2sp.org/signed-note): print ' +
    '{signer_key, verifier_key}',
})
export class AuditKeygenCommand extends CommandRunner {
  run(params: string[], options: { name?: string }): Promise<void> {
    if (params.length > 0) throw usage('Usage: audit keygen [--name <key name>]');
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

  @Option({
    flags: '--name <name>',
    description: `the key's name, as signatures show it (default: ${DEFAULT_KEY_NAME}); a URL without its scheme is usual`,
  })
  parseName(value: string): string {
    return value;
  }
}

@SubCommand({
  name: 'verify',
  description:
    'Check an NDJSON audit export offline, with no database: its hash chain, and its Merkle ' +
    'tree against its signed checkpoint (its last line, or --checkpoint); print {valid, ' +
    'checked, first_invalid_seq, reason?, checkpoint?}; exit 0 when it holds, 1 when not',
})
export class AuditVerifyCommand extends CommandRunner {
  async run(
    params: string[],
    options: { file?: string; checkpoint?: string; key?: string },
  ): Promise<void> {
    if (params.length > 0 || !options.file) {
      throw usage(
        'Usage: audit verify --file <export.ndjson> [--checkpoint <file>] [--key <verifier key>|@<file>]',
      );
    }
    const file = options.file;
    const verifier = await verifierOption(options.key);
    const checkpoint =
      options.checkpoint === undefined
        ? undefined
        : (await checkpointFile(options.checkpoint, '--checkpoint', undefined)).text;
    const verdict = await verifyExportFile(file, { checkpoint, verifier }).catch(
      (e: NodeJS.ErrnoException) => {
        if (e instanceof NotNdjsonError) throw usage(`${file}: ${e.message}`);
        throw usage(`Cannot read ${file} (${e.code ?? e.message})`);
      },
    );
    answer(verdict, verdict.checkpoint?.signature === 'unchecked');
  }

  @Option({
    flags: '--file <path>',
    description: 'the export (GET …/audit-events/export?format=ndjson)',
  })
  parseFile(value: string): string {
    return value;
  }

  @Option({
    flags: '--checkpoint <path>',
    description: "a signed checkpoint to hold the export to, instead of the export's last line",
  })
  parseCheckpoint(value: string): string {
    return value;
  }

  @Option({
    flags: '--key <key>',
    description:
      'the verifier key (GET /.well-known/latchkey-audit-key), or @<file> holding it; without ' +
      "it the checkpoint's signature is not checked",
  })
  parseKey(value: string): string {
    return value;
  }
}

@SubCommand({
  name: 'verify-consistency',
  description:
    'Check offline that a consistency proof (GET …/audit-events/consistency) shows the old ' +
    "checkpoint's tree to be a prefix of the new one's: print {valid, old_size, new_size, " +
    'signature, reason?}; exit 0 when it holds, 1 when not',
})
export class AuditVerifyConsistencyCommand extends CommandRunner {
  async run(
    params: string[],
    options: { old?: string; new?: string; proof?: string; key?: string },
  ): Promise<void> {
    if (params.length > 0 || !options.old || !options.new || !options.proof) {
      throw usage(
        'Usage: audit verify-consistency --old <checkpoint> --new <checkpoint> --proof <file> ' +
          '[--key <verifier key>|@<file>]',
      );
    }
    const verifier = await verifierOption(options.key);
    const old = await checkpointFile(options.old, '--old', verifier);
    const next = await checkpointFile(options.new, '--new', verifier);
    const proofText = await readText(options.proof, '--proof');
    let proof: ReturnType<typeof parseConsistencyProof>;
    try {
      proof = parseConsistencyProof(proofText);
    } catch (e) {
      throw usage(`--proof ${options.proof}: not a consistency proof (${(e as Error).message})`);
    }
    const verdict = checkConsistency(old.check, next.check, proof);
    answer(verdict, verdict.signature === 'unchecked');
  }

  @Option({ flags: '--old <path>', description: 'the older signed checkpoint' })
  parseOld(value: string): string {
    return value;
  }

  @Option({ flags: '--new <path>', description: 'the newer signed checkpoint' })
  parseNew(value: string): string {
    return value;
  }

  @Option({ flags: '--proof <path>', description: 'the proof, latchkey.audit-consistency@v1' })
  parseProof(value: string): string {
    return value;
  }

  @Option({
    flags: '--key <key>',
    description: 'the verifier key, or @<file> holding it; without it no signature is checked',
  })
  parseKey(value: string): string {
    return value;
  }
}

@Command({
  name: 'audit',
  description: 'Audit signing keys, and offline checks of exports, checkpoints and proofs',
  subCommands: [AuditKeygenCommand, AuditVerifyCommand, AuditVerifyConsistencyCommand],
})
export class AuditCommand extends CommandRunner {
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
