import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What a script run in the session did. */
export interface ScriptRun {
  /** Its stdout. */
  stdout: string;
  /** The shell's stderr while it ran. */
  stderr: string;
}

const DONE = '__latchkey_docs_done__';

/**
 * One bash, as a person's terminal is: scripts are sourced into it one after the other, so the
 * variables one sets are there for the next. It runs with `set -euo pipefail`: a failing command
 * or an unset variable ends it, and `run` rejects with what it printed. Every wait is bounded.
 */
export class ShellSession {
  private stdout = '';
  private stderr = '';
  private exit: string | null = null;
  private readonly wake = new Set<() => void>();
  private count = 0;

  private constructor(
    private readonly proc: ChildProcessWithoutNullStreams,
    private readonly scripts: string,
  ) {
    proc.stdout.on('data', (chunk: Buffer) => this.heard('stdout', chunk));
    proc.stderr.on('data', (chunk: Buffer) => this.heard('stderr', chunk));
    proc.on('close', (code, signal) => {
      this.exit = `bash exited (${code ?? signal})`;
      for (const w of this.wake) w();
    });
  }

  /**
   * A bash in `cwd`, with only `env` (and PATH, HOME) in its environment, that has run
   * `prelude`; the scripts it sources are written to `scripts`.
   */
  static async open(cwd: string, scripts: string, env: Record<string, string>, prelude: string) {
    const proc = spawn('bash', ['--noprofile', '--norc'], {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? cwd, ...env },
    });
    const session = new ShellSession(proc, scripts);
    await session.run(`set -euo pipefail\n${prelude}`, 'prelude', 10_000);
    return session;
  }

  private heard(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    this[stream] += chunk.toString('utf8');
    for (const w of this.wake) w();
  }

  /**
   * Sources `script` (written to `<scripts>/<name>.sh`, so bash reports its lines as
   * `${BASH_SOURCE}:${BASH_LINENO}`) and resolves once it is done.
   */
  run(script: string, name: string, timeoutMs: number): Promise<ScriptRun> {
    const file = join(this.scripts, `${name}.sh`);
    writeFileSync(file, `${script}\n`);
    const marker = `${DONE} ${++this.count}`;
    const [outStart, errStart] = [this.stdout.length, this.stderr.length];
    const ran = () => ({
      stdout: this.stdout.slice(outStart).replace(new RegExp(`\\n?${marker}\\n[^]*$`), ''),
      stderr: this.stderr.slice(errStart),
    });
    this.proc.stdin.write(`source '${file}'\nprintf '\\n%s\\n' '${marker}'\n`);
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.stdout.includes(`${marker}\n`, outStart)) return finish(() => resolve(ran()));
        if (this.exit !== null) {
          const { stdout, stderr } = ran();
          finish(() => reject(new Error(`${name}: ${this.exit}\n${stdout}\n${stderr}`)));
        }
      };
      const timer = setTimeout(() => {
        const { stdout, stderr } = ran();
        finish(() =>
          reject(new Error(`${name}: not done in ${timeoutMs} ms\n${stdout}\n${stderr}`)),
        );
      }, timeoutMs);
      const finish = (then: () => void) => {
        clearTimeout(timer);
        this.wake.delete(check);
        then();
      };
      this.wake.add(check);
      check();
    });
  }

  /** The values of shell variables, as the session holds them now. */
  async values(names: string[]): Promise<Record<string, string>> {
    const script = names.map((n) => `printf '%s\\0' "$${n}"`).join('\n');
    const { stdout } = await this.run(script, `values-${this.count + 1}`, 5_000);
    const parts = stdout.split('\0');
    return Object.fromEntries(names.map((n, i) => [n, parts[i]]));
  }

  /** Ends the shell; resolves once it is gone. */
  async close(): Promise<void> {
    if (this.exit !== null) return;
    const gone = new Promise<void>((resolve) => this.proc.once('close', () => resolve()));
    this.proc.stdin.end();
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(timer);
  }
}
