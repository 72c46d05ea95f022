import { closeSync, constants, fchmodSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/** An existing database file that others than its owner may read or write. */
export interface ExposedFile {
  path: string;
  /** Its permission bits, such as 0o644. */
  mode: number;
}

/** The files SQLite keeps for a database in WAL mode. */
const SIDE_FILES = ['', '-wal', '-shm'];

/**
 * Makes the embedded database's folder (0700) and file (0600) before SQLite opens it, and
 * answers the database files that already exist and others may read, for a warning.
 *
 * SQLite itself would create the file 0644 (less the umask), readable by every local user; and
 * a mode set after the open would come too late for a reader that opened it in between, who
 * keeps reading through that descriptor. So the file is created here first, empty (an empty
 * file is an empty database), with O_EXCL so that one another start made is never touched.
 * SQLite creates `-wal` and `-shm` with the database file's own mode, whatever the umask, so
 * they follow it. A file that already exists keeps its mode: it is the operator's, and a start
 * only says what others can do with it.
 */
export function prepareSqliteFiles(path: string): ExposedFile[] {
  if (path === ':memory:' || path === '') return [];
  // `mode` applies to every folder this makes, and to none that exists.
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    const fd = openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
    try {
      fchmodSync(fd, 0o600); // exactly 0600, whatever the umask took away or left
    } finally {
      closeSync(fd);
    }
    return [];
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const exposed: ExposedFile[] = [];
  for (const suffix of SIDE_FILES) {
    const mode = modeOf(`${path}${suffix}`);
    if (mode !== null && (mode & 0o077) !== 0) exposed.push({ path: `${path}${suffix}`, mode });
  }
  return exposed;
}

function modeOf(path: string): number | null {
  try {
    return statSync(path).mode & 0o777;
  } catch {
    return null; // not there (no -wal while no one has the database open)
  }
}

/** The warning for a file others may read: its path and mode, and the fix; never its contents. */
export function exposedFileWarning(file: ExposedFile): string {
  const mode = file.mode.toString(8).padStart(4, '0');
  return (
    `${file.path} has mode ${mode}: users other than its owner may read or change the ` +
    `database (token hashes, audit events). Run: chmod 600 ${file.path}`
  );
}
