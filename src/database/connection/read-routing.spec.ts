import { DataSource } from 'typeorm';
import { RequestValidationError } from '../../common/errors/domain-error';
import { loadConfig } from '../../config/load-config';
import { NoMetrics } from '../../metrics/metrics';
import { dataSourceOptions } from './data-source-options';
import { DomainEvents } from '../units/domain-events';
import { RawRows } from '../raw-rows';
import { Database, ReadRouting, ReadSource } from './read-routing';
import { ReplicaSet, ReplicaState } from './replica-set';

const MAX_LAG = 1000;
const NOW = 100_000;

/** Two replicas that are never connected: their state is set by hand, and the clock is fixed. */
function world(replicas = 1) {
  const config = loadConfig({
    DATABASE_URL: 'postgres://app@primary:5432/latchkey',
    DATABASE_REPLICA_URLS: Array.from(
      { length: replicas },
      (_, i) => `postgres://app@r${i}/x`,
    ).join(),
    REPLICA_MAX_LAG_MS: String(MAX_LAG),
  });
  const primary = { options: dataSourceOptions(config, []) } as DataSource;
  const set = new ReplicaSet(config, primary, new NoMetrics());
  let clock = NOW;
  set.now = () => clock;
  const sut = new ReadRouting(
    set,
    new DomainEvents(),
    new Database(primary, new RawRows(primary)),
    new NoMetrics(),
  );
  const at = (t: number) => (clock = t);
  return { set, sut, at };
}

const STATES: ReplicaState[] = ['connecting', 'ready', 'behind', 'down', 'not_standby'];
/** How long ago the replica was last caught up to: within the bound, at it, past it, never. */
const AGES = [0, MAX_LAG, MAX_LAG + 1, Infinity];
/** The caller's last write, against the replica's caught-up time: none, before, at, after. */
const WRITES = ['none', 'before', 'at', 'after'] as const;

/** The rule: a standby within the bound that holds the caller's own last write. */
function replicaServes(state: ReplicaState, age: number, write: (typeof WRITES)[number]): boolean {
  return state === 'ready' && age <= MAX_LAG && write !== 'after';
}

describe(ReadRouting.name, () => {
  const cases = STATES.flatMap((state) =>
    AGES.flatMap((age) => WRITES.map((write) => [state, age, write] as const)),
  );

  it.each(cases)(
    'state %s, caught up %s ms ago, caller wrote %s: the rule decides',
    (state, age, write) => {
      const { set, sut, at } = world();
      const replica = set.replicas[0];
      const caughtUpTo = NOW - age;
      if (write !== 'none') {
        at(write === 'before' ? caughtUpTo - 1 : write === 'at' ? caughtUpTo : caughtUpTo + 1);
        sut.noteWrite('caller');
        at(NOW);
      }
      replica.state = state;
      replica.caughtUpTo = caughtUpTo;
      const chosen = sut.sourceFor('caller');
      expect(chosen.name).toBe(replicaServes(state, age, write) ? 'replica 1' : 'primary');
      // Another caller is held only to the bound; a job (null) likewise.
      expect(sut.sourceFor('someone-else').name).toBe(sut.sourceFor(null).name);
    },
  );

  it('takes current replicas in turn, and skips one that is not', () => {
    const { set, sut } = world(3);
    for (const r of set.replicas) Object.assign(r, { state: 'ready', caughtUpTo: NOW });
    set.replicas[1].state = 'down';
    const names = Array.from({ length: 4 }, () => sut.sourceFor(null).name);
    expect(names).toEqual(['replica 1', 'replica 3', 'replica 1', 'replica 3']);
  });

  it('answers from the primary when a replica fails the read, and passes it over until its next check', async () => {
    const { set, sut } = world();
    Object.assign(set.replicas[0], { state: 'ready', caughtUpTo: NOW });
    const seen: string[] = [];
    const answer = await sut.read('caller', (from: ReadSource) => {
      seen.push(from.name);
      if (from.replica) return Promise.reject(new Error('Connection terminated unexpectedly'));
      return Promise.resolve('from the primary');
    });
    expect({ answer, seen, state: set.replicas[0].state }).toEqual({
      answer: 'from the primary',
      seen: ['replica 1', 'primary'],
      state: 'down',
    });
    expect(sut.sourceFor('caller').name).toBe('primary');
  });

  it('lets a domain error (a bad cursor) through, without asking the primary again', async () => {
    const { set, sut } = world();
    Object.assign(set.replicas[0], { state: 'ready', caughtUpTo: NOW });
    const bad = new RequestValidationError(
      [{ loc: ['query', 'cursor'], msg: 'Invalid cursor', type: 'value_error' }],
      'INVALID_CURSOR',
    );
    const read = jest.fn(() => Promise.reject(bad));
    await expect(sut.read('caller', read)).rejects.toBe(bad);
    expect({ calls: read.mock.calls.length, state: set.replicas[0].state }).toEqual({
      calls: 1,
      state: 'ready',
    });
  });

  it('without replicas, every read is the primary', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://app@primary/latchkey' });
    const primary = { options: dataSourceOptions(config, []) } as DataSource;
    const sut = new ReadRouting(
      new ReplicaSet(config, primary, new NoMetrics()),
      new DomainEvents(),
      new Database(primary, new RawRows(primary)),
      new NoMetrics(),
    );
    sut.noteWrite('caller');
    expect([sut.sourceFor('caller'), sut.sourceFor(null)]).toEqual([sut.primary, sut.primary]);
  });
});
