import { CliUsageError } from './cli-argv';
import type { CommandSpec } from './cli-spec';

/**
 * The grammar of `audit …`, which checks files offline: no config, no core, no database, and
 * every usage error exits 2. Part of the CLI's one grammar (cli-grammar.ts lists it).
 */

export const DEFAULT_KEY_NAME = 'latchkey-audit';

/** A usage error of `audit …`: exit 2, as a file that cannot be read is. */
export const auditUsage = (message: string) => new CliUsageError(message, 2);

const KEY_OPTION = '--key <key>';

export const AUDIT_KEYGEN = {
  name: 'keygen',
  description:
    'Make an Ed25519 key pair for signing audit checkpoints (c2sp.org/signed-note): print ' +
    '{signer_key, verifier_key}',
  options: [
    {
      flags: '--name <name>',
      description: `the key's name, as signatures show it (default: ${DEFAULT_KEY_NAME}); a URL without its scheme is usual`,
    },
  ],
  argv: (params: string[]) => {
    if (params.length > 0) throw auditUsage('Usage: audit keygen [--name <key name>]');
  },
} satisfies CommandSpec;

export const AUDIT_VERIFY = {
  name: 'verify',
  description:
    'Check an NDJSON audit export offline, with no database: its hash chain, and its Merkle ' +
    'tree against its signed checkpoint (its last line, or --checkpoint); print {valid, ' +
    'checked, first_invalid_seq, reason?, checkpoint?, checkpoint_checked, signed_through_seq}; ' +
    'exit 0 when it holds, 1 when not. With --key, a file with no checkpoint does not hold',
  options: [
    { flags: '--file <path>', description: 'the export (GET …/audit-events/export?format=ndjson)' },
    {
      flags: '--checkpoint <path>',
      description: "a signed checkpoint to hold the export to, instead of the export's last line",
    },
    {
      flags: KEY_OPTION,
      description:
        'the verifier key (GET /.well-known/latchkey-audit-key), or @<file> holding it; without ' +
        "it the checkpoint's signature is not checked. With it, a checkpoint is required",
    },
    {
      flags: '--allow-unsigned',
      description:
        'with --key, accept a file that carries no checkpoint on its chain alone, on purpose: ' +
        'nothing is then checked against the key',
    },
  ],
  argv: (params: string[], options: { file?: string }): string => {
    if (params.length > 0 || !options.file) {
      throw auditUsage(
        'Usage: audit verify --file <export.ndjson> [--checkpoint <file>] ' +
          '[--key <verifier key>|@<file> [--allow-unsigned]]',
      );
    }
    return options.file;
  },
} satisfies CommandSpec;

export interface ConsistencyOptions {
  old?: string;
  new?: string;
  proof?: string;
  key?: string;
}

export const AUDIT_VERIFY_CONSISTENCY = {
  name: 'verify-consistency',
  description:
    'Check offline that a consistency proof (GET …/audit-events/consistency) shows the old ' +
    "checkpoint's tree to be a prefix of the new one's: print {valid, old_size, new_size, " +
    'signature, reason?}; exit 0 when it holds, 1 when not',
  options: [
    { flags: '--old <path>', description: 'the older signed checkpoint' },
    { flags: '--new <path>', description: 'the newer signed checkpoint' },
    { flags: '--proof <path>', description: 'the proof, latchkey.audit-consistency@v1' },
    {
      flags: KEY_OPTION,
      description: 'the verifier key, or @<file> holding it; without it no signature is checked',
    },
  ],
  argv: (params: string[], options: ConsistencyOptions) => {
    const { old, new: next, proof } = options;
    if (params.length > 0 || !old || !next || !proof) {
      throw auditUsage(
        'Usage: audit verify-consistency --old <checkpoint> --new <checkpoint> --proof <file> ' +
          '[--key <verifier key>|@<file>]',
      );
    }
    return { old, next, proof };
  },
} satisfies CommandSpec;

export const AUDIT = {
  name: 'audit',
  description: 'Audit signing keys, and offline checks of exports, checkpoints and proofs',
  subcommands: [AUDIT_KEYGEN, AUDIT_VERIFY, AUDIT_VERIFY_CONSISTENCY],
  offline: true,
} satisfies CommandSpec;
