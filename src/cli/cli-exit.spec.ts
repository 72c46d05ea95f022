import { EventEmitter } from 'node:events';
import { exitWith, UNFINISHED } from './cli-exit';

/** A process whose exit and stderr are recorded, and whose `beforeExit` the spec emits. */
function fakeProcess() {
  const events = new EventEmitter();
  const seen = { codes: [] as number[], stderr: '' };
  const proc = {
    exit: (code: number) => void seen.codes.push(code),
    stderr: { write: (text: string) => (seen.stderr += text) },
    once: (event: 'beforeExit', listener: () => void) => events.once(event, listener),
  };
  return { proc, seen, drain: () => events.emit('beforeExit') };
}

describe(exitWith.name, () => {
  it('exits with the run’s code', async () => {
    const { proc, seen, drain } = fakeProcess();
    exitWith(Promise.resolve(3), proc);
    await new Promise(setImmediate);
    drain();
    expect(seen).toEqual({ codes: [3], stderr: '' });
  });

  it('exits 1 with the message of a run that failed', async () => {
    const { proc, seen } = fakeProcess();
    exitWith(Promise.reject(new Error('database is locked')), proc);
    await new Promise(setImmediate);
    expect(seen).toEqual({ codes: [1], stderr: 'database is locked\n' });
  });

  it('exits 1, saying so, when the loop drains under a run that never settled', () => {
    const { proc, seen, drain } = fakeProcess();
    exitWith(new Promise<number>(() => undefined), proc);
    drain();
    expect(seen).toEqual({ codes: [1], stderr: UNFINISHED });
  });
});
