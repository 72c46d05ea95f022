import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Last resort against orphans: whatever is still running when this process exits is killed. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/** Which of a child's output: both streams as they came, or one of them. */
export type OutputStream = 'all' | 'stdout' | 'stderr';

/** A child process whose output is kept (the last `keep` characters) and waited on by pattern. */
export class Child {
  private buffer = '';
  private readonly streams = { stdout: '', stderr: '' };
  private readonly waiters = new Set<() => void>();
  readonly exited: Promise<number | null>;
  exitCode: number | null | undefined = undefined;

  private constructor(
    readonly name: string,
    readonly proc: ChildProcess,
    private readonly keep: number,
  ) {
    live.add(proc);
    const onData = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      this.buffer = (this.buffer + text).slice(-this.keep);
      this.streams[stream] = (this.streams[stream] + text).slice(-this.keep);
      for (const waiter of this.waiters) waiter();
    };
    proc.stdout?.on('data', onData('stdout'));
    proc.stderr?.on('data', onData('stderr'));
    this.exited = new Promise((resolve) => {
      // 'close', not 'exit': it comes once the stdio pipes are closed too, so nothing is left open.
      proc.on('close', (code, signal) => {
        live.delete(proc);
        this.exitCode = code ?? (signal ? null : code);
        for (const waiter of this.waiters) waiter();
        resolve(code);
      });
      proc.on('error', (e) => {
        live.delete(proc);
        this.exitCode = null;
        this.buffer += `\n[spawn error] ${e.message}`;
        for (const waiter of this.waiters) waiter();
        resolve(null);
      });
    });
  }

  /** stdin is closed; `ipc` adds a channel for `proc.send` and the child's `process.send`. */
  static spawn(
    name: string,
    command: string,
    args: string[],
    options: SpawnOptions & { keep?: number; ipc?: boolean } = {},
  ): Child {
    installExitHook();
    const { keep, ipc, ...spawnOptions } = options;
    const proc = spawn(command, args, {
      ...spawnOptions,
      stdio: ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    });
    return new Child(name, proc, keep ?? 200_000);
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  output(stream: OutputStream = 'all'): string {
    return stream === 'all' ? this.buffer : this.streams[stream];
  }

  /** Resolves with the first match of `pattern` in the output; rejects on exit or timeout. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(this.buffer);
        if (match) return finish(() => resolve(match));
        if (!this.running) {
          finish(() =>
            reject(
              new Error(
                `${this.name} exited (${this.exitCode}) before ${pattern}:\n${this.tail()}`,
              ),
            ),
          );
        }
      };
      const timer = setTimeout(
        () =>
          finish(() =>
            reject(
              new Error(`${this.name}: no ${pattern} within ${timeoutMs} ms:\n${this.tail()}`),
            ),
          ),
        timeoutMs,
      );
      const finish = (then: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        then();
      };
      this.waiters.add(check);
      check();
    });
  }

  tail(chars = 4000): string {
    return this.buffer.slice(-chars);
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. Safe to call twice. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return;
    this.proc.kill('SIGTERM');
    if (!(await this.exitsWithin(graceMs)) && this.running) {
      this.proc.kill('SIGKILL');
      await this.exitsWithin(2000);
    }
  }

  private async exitsWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    try {
      return await Promise.race([this.exited.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops at once, as a crash would. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.proc.kill('SIGKILL');
    await this.exited;
  }
}

/** Stops every child given, in parallel, ignoring ones that already exited. */
export async function stopAll(
  children: readonly (Child | undefined)[],
  graceMs = 5000,
): Promise<void> {
  await Promise.all(
    children.map((c) => (c ? c.stop(graceMs).catch(() => undefined) : Promise.resolve())),
  );
}
