/**
 * Propagation with Redis behind Sentinel: a master, a replica and three Sentinels of their own
 * (test/harness/servers/redis-topology.ts), and two instances that find the master through REDIS_SENTINELS.
 * Left to the full bench: the topology takes seconds to settle.
 */
import type { BusinessSetup } from '../../test/harness/latchkey-client';
import { SentinelTopology } from '../../test/harness/servers/redis-topology';
import type { StartApp } from '../lib/alternated';
import { figure, leftToFullBench } from '../lib/figures';
import { propagation } from './propagation';

export async function sentinelPropagation(
  env: Record<string, string>,
  owner: BusinessSetup,
  start: StartApp,
): Promise<void> {
  const name = 'propagation through Redis Sentinel (master, replica, 3 Sentinels)';
  if (leftToFullBench(name, 'p99 ≤ 25 ms')) return;
  const topology = new SentinelTopology();
  try {
    await topology.start();
  } catch (e) {
    figure(name, `not run: ${(e as Error).message.split('\n')[0]}`, 'p99 ≤ 25 ms', null);
    return;
  }
  try {
    const sentinelEnv: Record<string, string> = { ...env, ...topology.env() };
    delete sentinelEnv.REDIS_URL; // one way to Redis at a time
    const [a, b] = await Promise.all([
      start('sentinel-A', sentinelEnv),
      start('sentinel-B', sentinelEnv),
    ]);
    await propagation(owner, a, b, {
      label: '2 instances + Redis through Sentinel',
      key: 'propagation_sentinel',
    });
    await Promise.all([a.stop(), b.stop()]);
  } finally {
    await topology.stop();
  }
}
