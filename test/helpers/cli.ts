import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../../support/app-process';

/** The built CLI, as `npm run -s cli` runs it: a spec builds it first (`buildApp()`). */
export const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one CLI command with `input` on its stdin (closed at once when none). */
export function cli(args: string[], env: Record<string, string>, input = ''): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env },
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

/** A command that must succeed: its stdout, or a failure that shows what it wrote. */
export async function ok(
  args: string[],
  env: Record<string, string>,
  input?: string,
): Promise<string> {
  const result = await cli(args, env, input);
  if (result.code !== 0) {
    throw new Error(`cli ${args[0]} exited ${result.code}: ${result.stderr}`);
  }
  return result.stdout;
}
