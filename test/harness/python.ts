import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Debian's python3 when it is there, so that nothing a developer's own Python has installed can
 * stand in for a dependency the Python client does not declare; else the python3 on PATH.
 */
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** Whether that python3 runs, at the Python client's requires-python (3.9) or later. */
export function pythonReady(): boolean {
  return (
    spawnSync(PYTHON, ['-c', 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)'], {
      stdio: 'ignore',
    }).status === 0
  );
}
