import { AppConfig, CONFIG_SECTIONS } from './app-config';
import { CONFIG_VARIABLES, ConfigValidationError, loadConfig } from './load-config';

describe(loadConfig.name, () => {
  it('applies the documented defaults to an empty environment', () => {
    const sut = loadConfig({});
    expect(sut).toMatchObject({
      PORT: 3000,
      SQLITE_PATH: './data/latchkey.sqlite',
      TOKEN_PREFIX: 'lk',
      TOKEN_CACHE_TTL_MS: 5000,
      REDIS_KEY_PREFIX: 'latchkey:',
      LOG_LEVEL: 'info',
      BOOTSTRAP_ADMIN_EMAIL: 'admin@latchkey.local',
      TRUST_PROXY: 'false',
      RATE_LIMIT_OAUTH_PER_MINUTE: 60,
      RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: 300,
      RATE_LIMIT_IDENTITY_PER_MINUTE: 0,
      MAX_ACTIVE_TOKENS_PER_IDENTITY: 100,
      DB_STATEMENT_TIMEOUT_MS: 3000,
      DB_QUERY_TIMEOUT_MS: 4000,
      DB_CONNECT_TIMEOUT_MS: 3000,
      METRICS_ENABLED: true,
    });
    expect(sut.METRICS_TOKEN).toBeUndefined();
    expect(sut.databaseDriver).toBe('sqlite');
    expect(sut.trustProxy).toBe(false);
  });

  it.each([
    ['false', false],
    ['0', false],
    ['1', 1],
    ['16', 16],
    ['127.0.0.1', ['127.0.0.1']],
    ['10.0.0.0/8, ::1,fd00::/8', ['10.0.0.0/8', '::1', 'fd00::/8']],
  ])('takes TRUST_PROXY=%s as Fastify does', (raw, parsed) => {
    expect(loadConfig({ TRUST_PROXY: raw }).trustProxy).toEqual(parsed);
  });

  it.each([
    ['true', /true would trust the client's own X-Forwarded-For/],
    ['TRUE', /true would trust/],
    ['17', /at most 16/],
    ['10.0.0.0/33', /not an address or CIDR/],
    ['127.0.0.1,forged;=1+1', /"forged;=1\+1" is not an address or CIDR/],
    ['yes', /not an address or CIDR/],
  ])('refuses TRUST_PROXY=%s at boot, naming the choices', (raw, message) => {
    const error = (() => {
      try {
        loadConfig({ TRUST_PROXY: raw });
      } catch (e) {
        return e as ConfigValidationError;
      }
      throw new Error('accepted');
    })();
    expect(error.problems).toEqual([expect.stringMatching(/^TRUST_PROXY: /)]);
    expect(error.problems[0]).toMatch(message);
    expect(error.problems[0]).toMatch(/a hop count such as 1/);
  });

  const numeric = Object.entries(new AppConfig())
    .filter(([, value]) => typeof value === 'number')
    .map(([key]) => key);

  it.each(numeric)('%s=abc says it must be an integer, and nothing else', (key) => {
    try {
      loadConfig({ [key]: 'abc' });
    } catch (e) {
      expect((e as ConfigValidationError).problems).toEqual([
        `${key}: ${key} must be an integer number`,
      ]);
      return;
    }
    throw new Error(`${key}=abc was accepted`);
  });

  it.each(numeric)('%s=-1 says which bound it breaks, once', (key) => {
    try {
      loadConfig({ [key]: '-1' });
    } catch (e) {
      const problems = (e as ConfigValidationError).problems;
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(new RegExp(`^${key}: ${key} must not be less than`));
      return;
    }
    throw new Error(`${key}=-1 was accepted`);
  });

  it('keeps webhook messages 30 days by default, and 1 to 3650 days when set', () => {
    expect(loadConfig({}).WEBHOOK_RETENTION_DAYS).toBe(30);
    expect(loadConfig({ WEBHOOK_RETENTION_DAYS: '7' }).WEBHOOK_RETENTION_DAYS).toBe(7);
    for (const bad of ['0', '3651']) {
      expect(() => loadConfig({ WEBHOOK_RETENTION_DAYS: bad })).toThrow(/WEBHOOK_RETENTION_DAYS/);
    }
  });

  it.each([
    [undefined, 8],
    ['1', 1],
    ['32', 32],
    ['0', /WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT must not be less than 1/],
    ['33', /WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT must not be greater than 32/],
    ['2.5', /WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT must be an integer/],
  ])('takes WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT=%s as %s', (raw, expected) => {
    const load = () => loadConfig({ WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT: raw });
    if (typeof expected === 'number') {
      expect(load().WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT).toBe(expected);
    } else {
      expect(load).toThrow(expected);
    }
  });

  it('refuses the renamed RATE_LIMIT_TOKEN_PER_MINUTE, so no limit silently lapses', () => {
    expect(() => loadConfig({ RATE_LIMIT_TOKEN_PER_MINUTE: '8' })).toThrow(
      /RATE_LIMIT_TOKEN_PER_MINUTE: renamed RATE_LIMIT_IDENTITY_PER_MINUTE/,
    );
  });

  it.each(['lean', 'passport'])(
    'refuses the removed BEARER_GUARD (=%s) and names what replaced it',
    (value) => {
      expect(() => loadConfig({ BEARER_GUARD: value })).toThrow(
        /BEARER_GUARD: removed: the global bearer check is always BearerGuard/,
      );
    },
  );

  it('parses numbers and booleans from strings', () => {
    const sut = loadConfig({ PORT: '8080', METRICS_ENABLED: 'off', TOKEN_CACHE_TTL_MS: '250' });
    expect(sut.PORT).toBe(8080);
    expect(sut.METRICS_ENABLED).toBe(false);
    expect(sut.TOKEN_CACHE_TTL_MS).toBe(250);
  });

  it('reads the metrics switch and the scraper secret', () => {
    const sut = loadConfig({ METRICS_ENABLED: 'false', METRICS_TOKEN: 'scrape-me-0123456789' });
    expect(sut.METRICS_ENABLED).toBe(false);
    expect(sut.METRICS_TOKEN).toBe('scrape-me-0123456789');
  });

  it('reads the gateway route settings: the token header lowercased, Authorization as Bearer', () => {
    const sut = loadConfig({
      VERIFY_TOKEN_HEADER: 'X-API-Key',
      VERIFY_GATEWAY_SECRET: 'gateway-secret-0123456789',
    });
    expect(sut.verifyTokenHeader).toBe('x-api-key');
    expect(sut.VERIFY_GATEWAY_SECRET).toBe('gateway-secret-0123456789');
    expect(loadConfig({}).verifyTokenHeader).toBeNull();
    expect(loadConfig({ VERIFY_TOKEN_HEADER: 'Authorization' }).verifyTokenHeader).toBeNull();
    expect(loadConfig({}).VERIFY_GATEWAY_SECRET).toBeUndefined();
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['REDIS_URL', 'http://x'],
    ['TOKEN_PREFIX', 'Bad_Prefix'],
    ['TOKEN_CACHE_TTL_MS', '60000'],
    ['REDIS_KEY_PREFIX', 'has space'],
    ['REDIS_KEY_PREFIX', 'x'.repeat(49)],
    ['LOG_LEVEL', 'loud'],
    ['BOOTSTRAP_ADMIN_EMAIL', 'not-an-email'],
    ['TRUST_PROXY', 'maybe'],
    ['OTEL_TRUST_INCOMING_CONTEXT', 'sometimes'],
    ['RATE_LIMIT_OAUTH_PER_MINUTE', '-1'],
    ['METRICS_ENABLED', 'sometimes'],
    ['METRICS_TOKEN', 'short'],
    ['METRICS_TOKEN', 'has a space in the middle'],
    ['METRICS_TOKEN', 'x'.repeat(257)],
    ['VERIFY_TOKEN_HEADER', 'X API Key'],
    ['VERIFY_TOKEN_HEADER', 'x-api-key:'],
    ['VERIFY_TOKEN_HEADER', 'x'.repeat(65)],
    ['VERIFY_TOKEN_HEADER', 'Cookie'],
    ['VERIFY_TOKEN_HEADER', 'X-Forwarded-For'],
    ['VERIFY_TOKEN_HEADER', 'x-business-id'],
    ['VERIFY_TOKEN_HEADER', 'Host'],
    ['VERIFY_TOKEN_HEADER', 'X-Latchkey-Token'],
    ['VERIFY_TOKEN_HEADER', 'x-latchkey-gateway-secret'],
    ['VERIFY_GATEWAY_SECRET', 'short'],
    ['VERIFY_GATEWAY_SECRET', 'a gateway secret with spaces'],
    ['VERIFY_GATEWAY_SECRET', `${'x'.repeat(20)}\n`],
    ['VERIFY_GATEWAY_SECRET', 'x'.repeat(257)],
  ])('rejects %s=%s and names the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigValidationError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}:`));
  });

  it('reports every bad variable at once', () => {
    try {
      loadConfig({ PORT: 'x', LOG_LEVEL: 'y' });
      throw new Error('expected a ConfigValidationError');
    } catch (e) {
      expect((e as ConfigValidationError).problems.map((p) => p.split(':')[0]).sort()).toEqual([
        'LOG_LEVEL',
        'PORT',
      ]);
    }
  });

  it('composes its sections side by side: each declares variables of its own, none twice', () => {
    expect([...CONFIG_VARIABLES.keys()]).toEqual([...CONFIG_SECTIONS]);
    const all = [...CONFIG_VARIABLES.values()].flat();
    expect(all.filter((name, i) => all.indexOf(name) !== i)).toEqual([]);
    for (const [part, variables] of CONFIG_VARIABLES) {
      expect({ part: part.name, declares: variables.length > 0 }).toEqual({
        part: part.name,
        declares: true,
      });
    }
  });

  it("answers a section's derived values from the one object (databaseDriver, redisTopology, replicaUrls)", () => {
    const sut = loadConfig({
      DATABASE_URL: 'postgres://u@h/db',
      DATABASE_REPLICA_URLS: 'postgres://r@h/db',
      REDIS_URL: 'redis://127.0.0.1:6379',
    });
    expect(sut.databaseDriver).toBe('postgres');
    expect(sut.replicaUrls).toEqual(['postgres://r@h/db']);
    expect(sut.redisTopology).toMatchObject({ kind: 'standalone' });
    expect(loadConfig({}).databaseDriver).toBe('sqlite');
  });

  it('ignores variables it does not own', () => {
    expect(() => loadConfig({ HOME: '/root', PATH: '/bin' })).not.toThrow();
  });
});
