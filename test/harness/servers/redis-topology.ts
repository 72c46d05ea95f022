import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, RedisProcess, redisCli, serverArgs, until } from './redis-process';

export { redisCli } from './redis-process';

/**
 * Throwaway Redis topologies on one machine, for the Sentinel and Cluster suites: Debian's
 * `redis-server` (7.0) started on free loopback ports, each in a temp dir of its own, with no
 * persistence (`--save "" --appendonly no`). Every wait is bounded, and `stop()` ends every
 * process it started and removes the dirs, whatever state a failed start left.
 */

/** Sentinel's timings, small so that a failover takes seconds (production: see docs/deployment.md). */
export const SENTINEL_TIMINGS = { downAfterMs: 1000, failoverTimeoutMs: 5000 };

/**
 * A master, one replica, and three Sentinels (quorum 2) that watch it as `name`. `killMaster()`
 * crashes the master; `waitForPromotion()` answers once the Sentinels name the replica instead.
 */
export class SentinelTopology {
  readonly name = 'latchkey';
  private dir = '';
  private servers: RedisProcess[] = [];
  private sentinels: RedisProcess[] = [];

  get master(): RedisProcess {
    return this.servers[0];
  }

  get replica(): RedisProcess {
    return this.servers[1];
  }

  /** What the app needs to reach Redis through these Sentinels. */
  env(): Record<string, string> {
    return {
      REDIS_SENTINELS: this.sentinels.map((s) => `127.0.0.1:${s.port}`).join(','),
      REDIS_SENTINEL_NAME: this.name,
    };
  }

  async start(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const left = () => Math.max(1000, deadline - Date.now());
    this.dir = mkdtempSync(join(tmpdir(), 'latchkey-sentinel-'));
    try {
      const [master, replica, ...sentinels] = await freePorts(5);
      this.servers = [
        new RedisProcess(master, serverArgs(master, join(this.dir, String(master)))),
        new RedisProcess(
          replica,
          serverArgs(replica, join(this.dir, String(replica)), [
            '--replicaof',
            '127.0.0.1',
            String(master),
          ]),
        ),
      ];
      for (const server of this.servers) await server.start(left());
      await until(
        'the replica in sync',
        async () => /master_link_status:up/.test(await redisCli(replica, ['INFO', 'replication'])),
        left(),
      );
      this.sentinels = sentinels.map((port) => {
        const conf = join(this.dir, `sentinel-${port}.conf`);
        // Sentinel rewrites its file as it learns the topology, so it lives in the temp dir.
        writeFileSync(
          conf,
          [
            `port ${port}`,
            'bind 127.0.0.1',
            `dir ${this.dir}`,
            `sentinel monitor ${this.name} 127.0.0.1 ${master} 2`,
            `sentinel down-after-milliseconds ${this.name} ${SENTINEL_TIMINGS.downAfterMs}`,
            `sentinel failover-timeout ${this.name} ${SENTINEL_TIMINGS.failoverTimeoutMs}`,
            `sentinel parallel-syncs ${this.name} 1`,
            '',
          ].join('\n'),
        );
        return new RedisProcess(port, [conf, '--sentinel']);
      });
      for (const sentinel of this.sentinels) await sentinel.start(left());
      // A failover needs a majority of Sentinels that know one another, and the replica.
      for (const sentinel of this.sentinels) {
        await until(
          `sentinel ${sentinel.port} sees the others and the replica`,
          async () => {
            const master = await redisCli(sentinel.port, ['SENTINEL', 'MASTER', this.name]);
            const field = (name: string) =>
              Number(new RegExp(`^${name}\\n(\\d+)$`, 'm').exec(master)?.[1] ?? -1);
            return field('num-other-sentinels') === 2 && field('num-slaves') === 1;
          },
          left(),
        );
      }
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  /** The port of the master the Sentinels name now (the first that answers). */
  async masterPort(): Promise<number> {
    for (const sentinel of this.sentinels) {
      const reply = await redisCli(
        sentinel.port,
        ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.name],
        1000,
      ).catch(() => '');
      const port = Number(reply.split('\n')[1]);
      if (port > 0) return port;
    }
    throw new Error('no Sentinel answers');
  }

  async killMaster(): Promise<void> {
    await this.master.kill();
  }

  /** Waits until every Sentinel names the replica as the master; answers when that was seen. */
  async waitForPromotion(timeoutMs = 20_000): Promise<number> {
    await until(
      'the replica promoted',
      async () => {
        for (const sentinel of this.sentinels) {
          const reply = await redisCli(
            sentinel.port,
            ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.name],
            1000,
          );
          if (Number(reply.split('\n')[1]) !== this.replica.port) return false;
        }
        return /role:master/.test(await redisCli(this.replica.port, ['INFO', 'replication'], 1000));
      },
      timeoutMs,
    );
    return Date.now();
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.sentinels, ...this.servers].map((p) => p.stop().catch(() => undefined)),
    );
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = '';
  }
}

/** A Redis Cluster of three masters and no replicas, as `redis-cli --cluster create` makes it. */
export class ClusterTopology {
  private dir = '';
  nodes: RedisProcess[] = [];

  env(): Record<string, string> {
    return { REDIS_CLUSTER_NODES: this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',') };
  }

  async start(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const left = () => Math.max(1000, deadline - Date.now());
    this.dir = mkdtempSync(join(tmpdir(), 'latchkey-cluster-'));
    try {
      // Each node's cluster bus gets a port of its own: port + 10000 may be taken, or past 65535.
      const ports = await freePorts(6);
      this.nodes = [0, 1, 2].map((i) => {
        const port = ports[i];
        const dir = join(this.dir, String(port));
        return new RedisProcess(
          port,
          serverArgs(port, dir, [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            join(dir, 'nodes.conf'),
            '--cluster-port',
            String(ports[i + 3]),
            '--cluster-node-timeout',
            '2000',
          ]),
        );
      });
      for (const node of this.nodes) await node.start(left());
      await redisCli(
        this.nodes[0].port,
        [
          '--cluster',
          'create',
          ...this.nodes.map((n) => `127.0.0.1:${n.port}`),
          '--cluster-replicas',
          '0',
          '--cluster-yes',
        ],
        left(),
      );
      await this.waitForState('ok', left());
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  /** Waits until every running node reports `cluster_state:<state>`. */
  async waitForState(state: 'ok' | 'fail', timeoutMs: number): Promise<void> {
    await until(
      `every node of the cluster ${state}`,
      async () => {
        for (const node of this.nodes.filter((n) => n.running)) {
          const info = await redisCli(node.port, ['CLUSTER', 'INFO'], 1000);
          if (!info.includes(`cluster_state:${state}`)) return false;
        }
        return true;
      },
      timeoutMs,
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop().catch(() => undefined)));
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = '';
  }
}
