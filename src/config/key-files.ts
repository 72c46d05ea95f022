import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AppConfig } from './app-config';
import { ConfigValidationError } from './load-config';

/** The command that makes an installation's keys, as a refusal to start names it. */
export const KEYS_INIT_COMMAND = 'npm run -s cli -- keys init';

/**
 * The folder of the installation's key files: KEYS_DIR, or the embedded SQLite default's data
 * folder; null with PostgreSQL and no KEYS_DIR, where no start may make a key of its own (every
 * instance must use the same ones).
 */
export function keysDirOf(config: AppConfig): string | null {
  if (config.KEYS_DIR) return config.KEYS_DIR;
  return config.databaseDriver === 'sqlite' ? dirname(config.SQLITE_PATH) : null;
}

/** Whether a start may make a missing key file: only the embedded default, with no KEYS_DIR. */
export function startMakesKeys(config: AppConfig): boolean {
  return !config.KEYS_DIR && config.databaseDriver === 'sqlite';
}

/** A key file as it was found or made. */
export interface KeyFile {
  path: string;
  /** The file's text, trimmed: a secret, never to be logged or printed. */
  text: string;
  created: boolean;
}

/**
 * The key file `name` in `dir`, read; when it is missing and `make` is given, made with the text
 * `make()` answers: mode 0600, in a folder made 0700 if it was missing, and never over a file
 * another writer made first (`wx`: that one is read instead). Null when missing and not made.
 * A file that cannot be read fails naming `variable`.
 */
export function keyFileIn(
  variable: string,
  dir: string,
  name: string,
  make?: () => string,
): KeyFile | null {
  const path = join(dir, name);
  if (existsSync(path)) return { path, text: readKeyFile(variable, path), created: false };
  if (!make) return null;
  const text = make();
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(path, `${text}\n`, { mode: 0o600, flag: 'wx' });
    // The umask may only have narrowed the mode; this says it is exactly 0600.
    chmodSync(path, 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'EEXIST') return { path, text: readKeyFile(variable, path), created: false };
    throw new ConfigValidationError([`${variable}: cannot write ${path} (${code})`]);
  }
  return { path, text, created: true };
}

/**
 * A key file's text, trimmed, or a start that fails naming `variable` and the reason (never the
 * text).
 */
export function readKeyFile(variable: string, path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (e) {
    throw new ConfigValidationError([
      `${variable}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
    ]);
  }
}
