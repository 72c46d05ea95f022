import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { auditKeyFileIn, keySourceOf } from '../audit/checkpoints/audit-signer';
import { AppConfig } from '../config/app-config';
import { ConfigValidationError } from '../config/load-config';
import { KEYS_INIT_COMMAND, keysDirOf } from '../config/key-files';
import { jwtKeyFileIn, jwtKeySourceOf } from '../signing/jwt-key-source';
import { readClientSecret } from '../sso/identity-provider';
import { secretsKeyFileIn, secretsKeyOf } from '../webhooks/signing/webhook-secret-box';

/** Where the refusal suggests the keys go when KEYS_DIR is not set. */
const SUGGESTED_KEYS_DIR = './keys';

/**
 * What a server start checks of the installation's keys, before anything is built: a bad key
 * fails as a bad variable does, and a missing one is refused with the command that makes it. A
 * feature never switches itself off for want of a key: only AUDIT_CHECKPOINTS_ENABLED=false or
 * WEBHOOKS_ENABLED=false turns one off (and start warns). The CLI does not call this: it signs
 * and delivers nothing, so it runs with or without keys.
 */
export function requireInstallationKeys(config: AppConfig): void {
  const problems: string[] = [];
  const missing: string[] = [];
  const check = (resolve: () => { kind: string; reason?: string }, name: string) => {
    try {
      const source = resolve();
      if (source.kind === 'off' && source.reason === 'missing') missing.push(name);
    } catch (e) {
      if (!(e instanceof ConfigValidationError)) throw e;
      problems.push(...e.problems);
    }
  };
  check(() => keySourceOf(config), 'the audit signing key');
  check(() => secretsKeyOf(config), 'the webhook secrets key');
  check(() => jwtKeySourceOf(config), 'the JWT signing keys');
  check(
    () => ({ kind: readClientSecret(config) === null ? 'none' : 'file' }),
    'the OIDC client secret',
  );
  if (missing.length > 0) problems.push(missingKeys(config, missing));
  if (problems.length > 0) throw new ConfigValidationError(problems);
}

function missingKeys(config: AppConfig, missing: string[]): string {
  const dir = config.KEYS_DIR ?? SUGGESTED_KEYS_DIR;
  const make = `KEYS_DIR=${dir} ${KEYS_INIT_COMMAND}`;
  const what = listed(missing);
  if (config.KEYS_DIR) {
    return `KEYS_DIR: ${config.KEYS_DIR} lacks ${what}; make the keys with: ${make}`;
  }
  return (
    `KEYS_DIR: PostgreSQL needs ${what}, the same on every instance, and no start makes one. ` +
    `Start every instance with KEYS_DIR=${dir} (or AUDIT_SIGNING_KEY_FILE, ` +
    'WEBHOOK_SECRETS_KEY_FILE and JWT_SIGNING_KEYS_FILE; AUDIT_CHECKPOINTS_ENABLED=false or ' +
    `WEBHOOKS_ENABLED=false turns a feature off), once the keys are made there with: ${make}`
  );
}

/** `a`, `a and b`, `a, b and c`. */
function listed(names: string[]): string {
  return names.length < 2
    ? names.join('')
    : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** A key file `keys init` made or found, as it prints it: where, and which. */
export interface KeyFileReport {
  path: string;
  status: 'created' | 'kept';
}

/** What `keys init` prints: the folder, the three files, and the key that checks checkpoints. */
export interface InitializedKeys {
  keys_dir: string;
  audit_signing_key: KeyFileReport;
  webhook_secrets_key: KeyFileReport;
  jwt_signing_keys: KeyFileReport;
  /** Public: `<name>+<key id>+<key>`, to check the checkpoints an auditor keeps. */
  audit_verifier_key: string;
}

/** Variables a start reads before the keys folder: set, it does not use that file. */
const READ_FIRST = {
  audit: ['AUDIT_SIGNING_KEY', 'AUDIT_SIGNING_KEY_FILE'],
  webhooks: ['WEBHOOK_SECRETS_KEY', 'WEBHOOK_SECRETS_KEY_FILE'],
  jwt: ['JWT_SIGNING_KEYS', 'JWT_SIGNING_KEYS_FILE'],
} as const;

/**
 * `keys init`: makes the keys in the keys folder, each only if missing (a key already there is
 * kept and checked, never overwritten), and answers where they are and the verifier key, never a
 * key itself; with notes for the operator (a folder others may read, a variable that a start
 * reads instead). Fails when there is no keys folder (PostgreSQL with no KEYS_DIR).
 */
export function initInstallationKeys(config: AppConfig): {
  keys: InitializedKeys;
  notes: string[];
} {
  const dir = keysDirOf(config);
  if (!dir) {
    throw new ConfigValidationError([
      `KEYS_DIR: not set; name the folder every instance reads its keys from, as in: KEYS_DIR=${SUGGESTED_KEYS_DIR} ${KEYS_INIT_COMMAND}`,
    ]);
  }
  const audit = auditKeyFileIn(dir, config.LATCHKEY_ORIGIN, true)!;
  const webhooks = secretsKeyFileIn(dir, true)!;
  const jwt = jwtKeyFileIn(dir, true)!;
  const report = (file: { path: string; created: boolean }): KeyFileReport => ({
    path: resolve(file.path),
    status: file.created ? 'created' : 'kept',
  });
  const keys: InitializedKeys = {
    keys_dir: resolve(dir),
    audit_signing_key: report(audit),
    webhook_secrets_key: report(webhooks),
    jwt_signing_keys: report(jwt),
    audit_verifier_key: audit.signer.verifier.text,
  };
  const notes: string[] = [];
  const made = [audit, webhooks, jwt].filter((f) => f.created).length;
  notes.push(
    made === 0
      ? `Kept the keys already in ${keys.keys_dir}: nothing was overwritten.`
      : `Keys in ${keys.keys_dir} (mode 0600): back them up apart from the database; every instance must read the same ones.`,
  );
  const mode = statSync(dir).mode & 0o777;
  if (mode & 0o077) {
    notes.push(
      `${keys.keys_dir} has mode ${mode.toString(8).padStart(4, '0')}: make it its owner's alone (chmod 700).`,
    );
  }
  for (const name of [...READ_FIRST.audit, ...READ_FIRST.webhooks, ...READ_FIRST.jwt]) {
    if (config[name] !== undefined) notes.push(`${name} is set: a start reads it, not the file.`);
  }
  return { keys, notes };
}
