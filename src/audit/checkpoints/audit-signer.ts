import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { ConfigValidationError } from '../../config/load-config';
import { keyFileIn, keysDirOf, readKeyFile, startMakesKeys } from '../../config/key-files';
import { formatCheckpoint, parseCheckpoint } from './checkpoint-note';
import type { Hash } from '../tree/merkle';
import {
  generateSigner,
  NoteSigner,
  NoteVerifier,
  openNote,
  parseSigner,
  signNote,
} from './signed-note';

/** The signer key's file in the keys folder (KEYS_DIR, or the SQLite default's data folder). */
export const DEFAULT_KEY_FILE = 'audit-signing.key';

/**
 * A signer key and where it came from, for the one line start prints about it. Off when an
 * operator turned checkpoints off (`disabled`), or when there is no key and no start may make
 * one (`missing`: PostgreSQL with no key, which the server refuses to start with; a CLI run,
 * which signs nothing, goes on).
 */
export type KeySource =
  | { kind: 'env' | 'file'; signer: NoteSigner }
  | { kind: 'created'; signer: NoteSigner; path: string }
  | { kind: 'off'; reason: 'disabled' | 'missing' };

/**
 * The audit log's signing key (c2sp.org/signed-note, Ed25519), and the checkpoints it signs. It
 * is read from AUDIT_SIGNING_KEY, AUDIT_SIGNING_KEY_FILE or the keys folder, never from the
 * database, so that write access to the database is not enough to sign. With the embedded SQLite
 * default and no key, the first start makes one in the data folder (mode 0600); elsewhere
 * `cli keys init` makes it.
 */
@Injectable()
export class AuditSigner {
  private readonly logger = new Logger(AuditSigner.name);
  private readonly source: KeySource;
  readonly verifier: NoteVerifier | null;

  constructor(private readonly config: AppConfig) {
    this.source = keySourceOf(config);
    this.verifier = this.source.kind === 'off' ? null : this.source.signer.verifier;
    if (this.source.kind === 'off' && this.source.reason === 'disabled') {
      this.logger.warn(
        'Audit checkpoints are off (AUDIT_CHECKPOINTS_ENABLED=false): the chains are kept, but no checkpoint is signed',
      );
    }
  }

  get enabled(): boolean {
    return this.source.kind !== 'off';
  }

  /** The verifier key text, `<name>+<hex id>+<base64 key>`, or null when signing is off. */
  get verifierKey(): string | null {
    return this.verifier?.text ?? null;
  }

  /** The key made at this start, if one was: start prints its verifier key, once. */
  get createdKey(): { path: string; verifierKey: string } | null {
    return this.source.kind === 'created'
      ? { path: this.source.path, verifierKey: this.source.signer.verifier.text }
      : null;
  }

  get keyName(): string {
    return this.signerOrFail().name;
  }

  get keyIdHex(): string {
    return this.signerOrFail().verifier.keyIdHex;
  }

  /** `<LATCHKEY_ORIGIN>/audit/<chain id>`: what a chain's checkpoints name it. */
  originOf(chainId: string): string {
    return `${this.config.LATCHKEY_ORIGIN}/audit/${chainId}`;
  }

  /** The signed checkpoint note of a chain's tree at `size`. */
  signCheckpoint(chainId: string, size: number, root: Hash): string {
    return signNote(
      formatCheckpoint({ origin: this.originOf(chainId), size, root }),
      this.signerOrFail(),
    );
  }

  /**
   * Whether a stored checkpoint's note is signed by this installation's key over this chain's
   * origin, `size` and `rootHex`: a note signed by another key, or saying anything else, is not.
   */
  holds(chainId: string, size: number, rootHex: string, note: string): boolean {
    if (!this.verifier) return false;
    try {
      const opened = openNote(note, [this.verifier]);
      const checkpoint = parseCheckpoint(opened.text);
      return (
        checkpoint.origin === this.originOf(chainId) &&
        checkpoint.size === size &&
        checkpoint.root.toString('hex') === rootHex
      );
    } catch {
      return false;
    }
  }

  private signerOrFail(): NoteSigner {
    if (this.source.kind === 'off') throw new Error('audit checkpoints are off: no signing key');
    return this.source.signer;
  }
}

/** Each config's key, resolved once: the first start's new key file is made once, and named. */
const RESOLVED = new WeakMap<AppConfig, KeySource>();

/**
 * Resolves the audit signing key of a config before the app is built, so that a bad key fails
 * the start as a bad variable does (a provider that throws while Nest builds the app ends the
 * process instead); the signer then takes the same key.
 */
export function keySourceOf(config: AppConfig): KeySource {
  let source = RESOLVED.get(config);
  if (!source) {
    source = resolveKey(config);
    RESOLVED.set(config, source);
  }
  return source;
}

function resolveKey(config: AppConfig): KeySource {
  if (!config.AUDIT_CHECKPOINTS_ENABLED) return { kind: 'off', reason: 'disabled' };
  if (config.AUDIT_SIGNING_KEY && config.AUDIT_SIGNING_KEY_FILE) {
    throw new ConfigValidationError([
      'AUDIT_SIGNING_KEY_FILE: set AUDIT_SIGNING_KEY or AUDIT_SIGNING_KEY_FILE, not both',
    ]);
  }
  if (config.AUDIT_SIGNING_KEY) {
    return { kind: 'env', signer: parsedOrFail('AUDIT_SIGNING_KEY', config.AUDIT_SIGNING_KEY) };
  }
  if (config.AUDIT_SIGNING_KEY_FILE) {
    const text = readKeyFile('AUDIT_SIGNING_KEY_FILE', config.AUDIT_SIGNING_KEY_FILE);
    return { kind: 'file', signer: parsedOrFail('AUDIT_SIGNING_KEY_FILE', text) };
  }
  const dir = keysDirOf(config);
  const found = dir && auditKeyFileIn(dir, config.LATCHKEY_ORIGIN, startMakesKeys(config));
  if (!found) return { kind: 'off', reason: 'missing' };
  return found.created
    ? { kind: 'created', signer: found.signer, path: found.path }
    : { kind: 'file', signer: found.signer };
}

/**
 * The signer key file in `dir`, read and parsed; made when missing if `make` (`cli keys init`,
 * and the embedded default's first start), with a key named `name`. Null when missing and not
 * made.
 */
export function auditKeyFileIn(
  dir: string,
  name: string,
  make: boolean,
): { path: string; signer: NoteSigner; created: boolean } | null {
  const file = keyFileIn(
    'KEYS_DIR',
    dir,
    DEFAULT_KEY_FILE,
    make ? () => generateSigner(name).signerKey : undefined,
  );
  return (
    file && { path: file.path, signer: parsedOrFail(file.path, file.text), created: file.created }
  );
}

/** The parsed key, or a start that fails naming where the key came from, never its text. */
function parsedOrFail(where: string, text: string): NoteSigner {
  try {
    return parseSigner(text);
  } catch (e) {
    throw new ConfigValidationError([
      `${where}: not a signer key (${(e as Error).message}); make one with npm run cli -- audit keygen`,
    ]);
  }
}
