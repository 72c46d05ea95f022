import { ConfigValidationError, loadConfig } from '../../load-config';
import { MAX_REPLICAS, ReplicaConfig } from './replica-config';

const PRIMARY = 'postgres://app:secret@db-primary:5432/latchkey';
const replica = (n: number) => `postgres://app:secret@db-replica-${n}:5432/latchkey`;

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (e) {
    return (e as ConfigValidationError).problems;
  }
  return [];
}

describe(ReplicaConfig.name, () => {
  it('has no replicas and a 1 s lag bound by default', () => {
    const sut = loadConfig({ DATABASE_URL: PRIMARY });
    expect({ urls: sut.replicaUrls, lag: sut.REPLICA_MAX_LAG_MS }).toEqual({ urls: [], lag: 1000 });
  });

  it('reads a comma-separated list, trimmed, with empty entries dropped', () => {
    const sut = loadConfig({
      DATABASE_URL: PRIMARY,
      DATABASE_REPLICA_URLS: ` ${replica(1)} ,, ${replica(2)},`,
      REPLICA_MAX_LAG_MS: '250',
    });
    expect({ urls: sut.replicaUrls, lag: sut.REPLICA_MAX_LAG_MS }).toEqual({
      urls: [replica(1), replica(2)],
      lag: 250,
    });
  });

  it.each([
    [{ DATABASE_REPLICA_URLS: replica(1) }, /DATABASE_REPLICA_URLS: needs DATABASE_URL/],
    [{ DATABASE_URL: PRIMARY, DATABASE_REPLICA_URLS: ',' }, /comma-separated list/],
    [
      { DATABASE_URL: PRIMARY, DATABASE_REPLICA_URLS: `${replica(1)},mysql://x/y` },
      /entry 2 is not a postgres:\/\/ URL/,
    ],
    [
      { DATABASE_URL: PRIMARY, DATABASE_REPLICA_URLS: `${replica(1)},${replica(1)}` },
      /names one replica twice/,
    ],
    [{ DATABASE_URL: PRIMARY, DATABASE_REPLICA_URLS: PRIMARY }, /names DATABASE_URL itself/],
    [
      {
        DATABASE_URL: PRIMARY,
        DATABASE_REPLICA_URLS: Array.from({ length: MAX_REPLICAS + 1 }, (_, i) =>
          replica(i),
        ).join(),
      },
      new RegExp(`at most ${MAX_REPLICAS} replicas`),
    ],
    [
      { DATABASE_URL: PRIMARY, REPLICA_MAX_LAG_MS: '199' },
      /REPLICA_MAX_LAG_MS: .*not be less than 200/,
    ],
    [{ DATABASE_URL: PRIMARY, REPLICA_MAX_LAG_MS: 'soon' }, /REPLICA_MAX_LAG_MS: .*integer/],
  ])('refuses %j at boot, naming the variable', (env, message) => {
    const problems = problemsOf(env);
    expect(problems).toEqual([expect.stringMatching(message)]);
  });

  it('never echoes a replica URL (it may hold a password) in the error', () => {
    const problems = problemsOf({
      DATABASE_URL: PRIMARY,
      DATABASE_REPLICA_URLS: `${replica(1)},${replica(1)},not-a-url-secret`,
    });
    expect(problems.join('\n')).not.toMatch(/secret/);
  });
});
