import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load-config';
import { parseRedisNodes } from '../../src/config/sections/storage/redis-topology-config';

/**
 * deploy/compose.ha.yml, the production example (docs/deployment.md). Docker has no daemon on
 * these machines, so the file is read as compose reads it (YAML with merge keys, then `${…}`
 * interpolation from the environment) and each service is checked against what the others
 * expect of it; the apps' environment goes through the app's own config loader.
 */
interface Service {
  image?: string;
  build?: string;
  command?: string | string[];
  environment?: Record<string, string>;
  configs?: { source: string; target: string }[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  healthcheck?: { test: string[] };
}
interface Compose {
  services: Record<string, Service>;
  configs: Record<string, { content: string }>;
  volumes: Record<string, unknown>;
}

const FILE = join(__dirname, '..', '..', 'deploy', 'compose.ha.yml');
const TEXT = readFileSync(FILE, 'utf8');
const SECRETS = {
  POSTGRES_PASSWORD: 'pg-secret',
  REPLICATION_PASSWORD: 'repl-secret',
  REDIS_PASSWORD: 'redis-secret',
};

/** Compose's interpolation: `${NAME}`, `${NAME:-default}`, `${NAME:?error}`, and `$$` for `$`. */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\{([A-Z_]+)(?::([-?])([^}]*))?\}/g, (whole, name, op, arg) => {
    if (whole === '$$') return '$';
    const value = env[name as string];
    if (value !== undefined && value !== '') return value;
    if (op === '-') return arg as string;
    throw new Error(`${name as string}: ${op === '?' ? (arg as string) : 'unset'}`);
  });
}

const compose = parse(interpolate(TEXT, SECRETS), { merge: true }) as Compose;
const { services, configs } = compose;
const host = (url: string) => new URL(url).hostname;
const APPS = ['app-1', 'app-2', 'app-3'];

describe('deploy/compose.ha.yml', () => {
  it('runs PgBouncer, a primary with a streaming replica, three Redis, three Sentinels, three apps and a proxy', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'postgres-primary',
        'postgres-replica',
        'pgbouncer',
        'redis-1',
        'redis-2',
        'redis-3',
        'sentinel-1',
        'sentinel-2',
        'sentinel-3',
        'keys',
        ...APPS,
        'proxy',
      ].sort(),
    );
  });

  it('refuses to start without each secret, and names it', () => {
    for (const name of Object.keys(SECRETS)) {
      const partial: Record<string, string> = { ...SECRETS };
      delete partial[name];
      expect(() => interpolate(TEXT, partial)).toThrow(new RegExp(`^${name}: set ${name}$`));
    }
    // No other variable is read without a default.
    const read = [...TEXT.matchAll(/\$\{([A-Z_]+)(:[-?][^}]*)?\}/g)].map((m) => m[1]);
    expect([...new Set(read)].sort()).toEqual([...Object.keys(SECRETS), 'LATCHKEY_ORIGIN'].sort());
  });

  it.each(APPS)(
    '%s: an environment the app accepts, through PgBouncer and the Sentinels',
    (name) => {
      const app = services[name];
      const env = app.environment!;
      const config = loadConfig(env);
      expect(config.DATABASE_POOL_MODE).toBe('transaction');
      expect(host(env.DATABASE_URL)).toBe('pgbouncer');
      expect(host(env.DATABASE_DIRECT_URL)).toBe('postgres-primary');
      expect(env.DATABASE_REPLICA_URLS.split(',').map(host)).toEqual(['postgres-replica']);
      expect(Number(env.REPLICA_MAX_LAG_MS)).toBeGreaterThan(0);
      expect(config.TRUST_PROXY).toBe('1');
      expect(config.redisTopology).toEqual({
        kind: 'sentinel',
        sentinels: ['sentinel-1', 'sentinel-2', 'sentinel-3'].map((s) => ({
          host: s,
          port: 26379,
        })),
        name: 'latchkey',
        password: SECRETS.REDIS_PASSWORD,
        sentinelPassword: undefined,
      });
      expect(app.healthcheck?.test.join(' ')).toContain('/health/ready');
      expect(app.depends_on?.keys).toEqual({ condition: 'service_completed_successfully' });
      expect(app.volumes).toEqual([`keys:${env.KEYS_DIR}:ro`]);
    },
  );

  it('has the Sentinels watch the master the apps name, with a quorum of two', () => {
    const conf = configs['sentinel-conf'].content;
    const env = services['app-1'].environment!;
    const [, master, masterHost, port, quorum] =
      /^sentinel monitor (\S+) (\S+) (\d+) (\d+)$/m.exec(conf) ?? [];
    expect({ master, masterHost, port, quorum }).toEqual({
      master: env.REDIS_SENTINEL_NAME,
      masterHost: 'redis-1',
      port: '6379',
      quorum: '2',
    });
    expect(conf).toMatch(/^sentinel auth-pass latchkey redis-secret$/m);
    for (const sentinel of parseRedisNodes(env.REDIS_SENTINELS) as { host: string }[]) {
      expect(services[sentinel.host].configs).toEqual([
        { source: 'sentinel-conf', target: '/etc/latchkey/sentinel.conf' },
      ]);
    }
    for (const replica of ['redis-2', 'redis-3']) {
      expect(String(services[replica].command)).toContain('--replicaof redis-1 6379');
    }
  });

  it('puts PgBouncer in transaction mode in front of the primary, letting node-postgres through', () => {
    const ini = configs['pgbouncer-ini'].content;
    expect(ini).toMatch(/^pool_mode = transaction$/m);
    expect(ini).toMatch(/^ignore_startup_parameters = extra_float_digits$/m);
    expect(ini).toMatch(/^latchkey = host=postgres-primary port=5432 dbname=latchkey$/m);
    expect(configs['pgbouncer-users'].content.trim()).toBe('"latchkey" "pg-secret"');
  });

  it('has the replica follow the primary with a slot of its own', () => {
    const command = String(services['postgres-replica'].command);
    expect(command).toContain('pg_basebackup -h postgres-primary -U replicator');
    expect(command).toContain('-R -X stream -C -S replica_1');
    expect(configs['primary-replication'].content).toContain(
      "CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD '$REPLICATION_PASSWORD'",
    );
  });

  it('sends the proxy to every app, the only service with a published port', () => {
    const caddy = configs.caddyfile.content;
    expect(caddy).toContain(`reverse_proxy ${APPS.map((a) => `${a}:3000`).join(' ')}`);
    // Routed on liveness: a Redis failover makes every instance unready at once.
    expect(caddy).toMatch(/^\s*health_uri \/health\/live$/m);
    expect(caddy).toMatch(/^\s*unhealthy_status 503$/m);
    for (const app of APPS) {
      expect(services.proxy.depends_on?.[app]).toEqual({ condition: 'service_healthy' });
    }
    expect(
      Object.entries(services)
        .filter(([, s]) => s.ports)
        .map(([n]) => n),
    ).toEqual(['proxy']);
  });

  it('names only services, configs and volumes that exist', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const dependency of Object.keys(service.depends_on ?? {})) {
        expect(`${name} → ${dependency}: ${dependency in services}`).toBe(
          `${name} → ${dependency}: true`,
        );
      }
      for (const config of service.configs ?? []) expect(configs[config.source]).toBeDefined();
      for (const volume of service.volumes ?? []) {
        expect(compose.volumes).toHaveProperty(volume.split(':')[0]);
      }
    }
  });
});
