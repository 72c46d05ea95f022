import { ConfigValidationError, loadConfig } from '../../load-config';
import { parseRedisNodes, RedisTopologyConfig } from './redis-topology-config';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigValidationError) return e.problems;
    throw e;
  }
  throw new Error('accepted');
}

const URL = { REDIS_URL: 'redis://127.0.0.1:6379' };
const SENTINELS = { REDIS_SENTINELS: 's1:26379,s2:26379', REDIS_SENTINEL_NAME: 'latchkey' };
const CLUSTER = { REDIS_CLUSTER_NODES: '10.0.0.1:7000,10.0.0.2:7000' };

describe(RedisTopologyConfig.name, () => {
  it('is null with no Redis variable', () => {
    expect(loadConfig({}).redisTopology).toBeNull();
  });

  it('reads each of the three ways', () => {
    expect(loadConfig(URL).redisTopology).toEqual({ kind: 'standalone', url: URL.REDIS_URL });
    expect(
      loadConfig({ ...SENTINELS, REDIS_PASSWORD: 'pw', REDIS_SENTINEL_PASSWORD: 'spw' })
        .redisTopology,
    ).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      name: 'latchkey',
      password: 'pw',
      sentinelPassword: 'spw',
    });
    expect(loadConfig(CLUSTER).redisTopology).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7000 },
      ],
      password: undefined,
    });
  });

  // Every pair and the three together: whichever is meant cannot be guessed.
  const WAYS = { URL, SENTINELS, CLUSTER };
  it.each([
    [['URL', 'SENTINELS']],
    [['URL', 'CLUSTER']],
    [['SENTINELS', 'CLUSTER']],
    [['URL', 'SENTINELS', 'CLUSTER']],
  ] as const)('refuses %j together at boot, naming each variable', (ways) => {
    const env = Object.assign({}, ...ways.map((w) => WAYS[w])) as Record<string, string>;
    const problems = problemsOf(env);
    const named = ['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'].filter(
      (name) => env[name] !== undefined,
    );
    expect(problems).toHaveLength(named.length);
    for (const name of named) {
      expect(problems).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^${name}: set only one of REDIS_URL, REDIS_SENTINELS and REDIS_CLUSTER_NODES`,
          ),
        ),
      );
    }
  });

  it.each([
    [{ REDIS_SENTINELS: 's1:26379' }, /^REDIS_SENTINEL_NAME: .*must be set with REDIS_SENTINELS/],
    [{ ...SENTINELS, REDIS_SENTINEL_NAME: 'bad name' }, /^REDIS_SENTINEL_NAME: /],
    [
      { REDIS_SENTINEL_NAME: 'latchkey' },
      /^REDIS_SENTINEL_NAME: is read only with REDIS_SENTINELS/,
    ],
    [
      { ...URL, REDIS_PASSWORD: 'pw' },
      /^REDIS_PASSWORD: is read only with .*redis:\/\/:password@host/,
    ],
    [
      { REDIS_PASSWORD: 'pw' },
      /^REDIS_PASSWORD: is read only with REDIS_SENTINELS or REDIS_CLUSTER_NODES/,
    ],
    [
      { ...CLUSTER, REDIS_SENTINEL_PASSWORD: 'pw' },
      /^REDIS_SENTINEL_PASSWORD: is read only with REDIS_SENTINELS/,
    ],
    [
      { ...CLUSTER, REDIS_PASSWORD: 'two words' },
      /^REDIS_PASSWORD: REDIS_PASSWORD must be 1 to 512 printable/,
    ],
    [
      { REDIS_CLUSTER_NODES: 'node-1' },
      /^REDIS_CLUSTER_NODES: "node-1" is not a host:port address/,
    ],
    [{ REDIS_CLUSTER_NODES: 'a:7000,,b:7000' }, /^REDIS_CLUSTER_NODES: "" is not a host:port/],
    [{ REDIS_CLUSTER_NODES: 'a:0' }, /"a:0" is not a host:port/],
    [{ REDIS_CLUSTER_NODES: 'a:65536' }, /"a:65536" is not a host:port/],
    [{ REDIS_CLUSTER_NODES: 'redis://a:7000' }, /"redis:\/\/a:7000" is not a host:port/],
    [{ REDIS_CLUSTER_NODES: 'a b:7000' }, /"a b:7000" is not a host:port/],
    [{ REDIS_CLUSTER_NODES: 'a:7000,a:7000' }, /^REDIS_CLUSTER_NODES: lists a:7000 twice/],
    [{ ...SENTINELS, REDIS_SENTINELS: 's1:26379;s2' }, /^REDIS_SENTINELS: "s1:26379;s2" is not/],
  ])('refuses %j at boot with the variable named', (env, message) => {
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it('never echoes a password in its refusal', () => {
    const secret = 'hunter2-not-to-be-seen';
    const problems = problemsOf({
      ...URL,
      REDIS_PASSWORD: secret,
      REDIS_SENTINEL_PASSWORD: secret,
    });
    expect(problems.join('\n')).not.toContain(secret);
  });

  it('refuses more than 16 addresses', () => {
    const many = Array.from({ length: 17 }, (_, i) => `n${i}:7000`).join(',');
    expect(parseRedisNodes(many)).toMatch(/at most 16/);
  });

  it('takes IPv6 addresses in brackets, and spaces around commas', () => {
    expect(parseRedisNodes('[::1]:7000 , [fd00::2]:7001')).toEqual([
      { host: '::1', port: 7000 },
      { host: 'fd00::2', port: 7001 },
    ]);
  });

  it('waits 1 s for a request’s Redis answer unless told, and refuses a wait that is no number of ms', () => {
    expect(loadConfig(URL).REDIS_COMMAND_TIMEOUT_MS).toBe(1000);
    expect(loadConfig({ ...URL, REDIS_COMMAND_TIMEOUT_MS: '60000' }).REDIS_COMMAND_TIMEOUT_MS).toBe(
      60_000,
    );
    for (const bad of ['0', '49', '600001', '1.5', 'soon']) {
      expect(problemsOf({ ...URL, REDIS_COMMAND_TIMEOUT_MS: bad }).join('\n')).toMatch(
        /REDIS_COMMAND_TIMEOUT_MS/,
      );
    }
  });
});
