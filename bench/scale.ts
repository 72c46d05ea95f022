/**
 * `npm run bench:scale`: how the hot path's cost grows with the installation. One installation
 * per driver (PostgreSQL, then SQLite), grown in place to 10,000, 100,000 and 1,000,000 tokens
 * (`--quick`: 10,000, 100,000 and 200,000) in a few thousand businesses with their audit events,
 * and measured at each size (bench/lib/scale-measure.ts). Each size prints one `scale` line as
 * soon as it is measured, and a `size` line with the database's bytes per token. At the end: each
 * figure at the largest size against its value at the smallest (goal: within 1.5×), the curve
 * in docs/images/scale.svg and the figures in bench/results/scale-latest.json. `--driver=sqlite`
 * (or postgres) runs one; SCALE_SIZES=10000,50000 sets the sizes. Nothing fails on a missed goal.
 */
import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../test/harness/app-process';
import { withClient } from '../test/harness/servers/postgres';
import { redisAnswers } from '../test/harness/servers/redis';
import { round } from '../test/harness/stats';
import { loadAverage, log } from './lib/figures';
import { describeMachine, machineLine } from './lib/machine';
import { cpuMicros } from './lib/process-cpu';
import { POSTGRES_URL, REDIS_URL } from './lib/run-settings';
import type { Driver } from './lib/scale-db';
import { Installation } from './lib/scale-install';
import { FIGURE_NAMES, measure, type MeasureSettings } from './lib/scale-measure';
import { GOAL_RATIO, scaleSvg, worseness, type ScalePoint } from './lib/scale-svg';
import { BenchScratch } from './lib/scratch';
import { runBench } from './lib/run-bench';

const QUICK = process.argv.includes('--quick');
const SIZES = process.env.SCALE_SIZES
  ? process.env.SCALE_SIZES.split(',').map(Number)
  : QUICK
    ? [10_000, 100_000, 200_000]
    : [10_000, 100_000, 1_000_000];
const DRIVER_ARG = process.argv.find((a) => a.startsWith('--driver='))?.slice('--driver='.length);
const DRIVERS: Driver[] = DRIVER_ARG ? [DRIVER_ARG as Driver] : ['postgres', 'sqlite'];
const SETTINGS: MeasureSettings = QUICK
  ? { missSamples: 300, pageSamples: 150, revocations: 20, hitSeconds: 3 }
  : { missSamples: 2000, pageSamples: 500, revocations: 100, hitSeconds: 10 };
const SVG_PATH = join(REPO_ROOT, 'docs', 'images', 'scale.svg');

async function checkServers(): Promise<void> {
  if (!(await redisAnswers(REDIS_URL))) throw new Error(`Redis does not answer at ${REDIS_URL}`);
  await withClient(POSTGRES_URL, (c) => c.query('SELECT 1'));
}

function line(driver: Driver, tokens: number, figures: ScalePoint['figures']): string {
  const parts = FIGURE_NAMES.map((f) => `${f}=${figures[f]}`);
  return `scale ${driver} tokens=${tokens} ${parts.join(' ')}`;
}

/**
 * The share of a core A and B use before any request: the work an installation's size alone
 * makes (sweeps, checkpoints), which every figure at that size then shares the cores with.
 */
async function idleCpu(...pids: number[]): Promise<number> {
  const before = pids.map(cpuMicros);
  await new Promise((r) => setTimeout(r, 5_000));
  const used = pids.reduce((sum, pid, i) => sum + cpuMicros(pid) - before[i], 0);
  return round((used / 5e6) * 100, 1);
}

/** One driver's installation, grown size by size; answers its points as they were printed. */
async function runDriver(driver: Driver, scratch: BenchScratch): Promise<ScalePoint[]> {
  const points: ScalePoint[] = [];
  const inst = await Installation.create(driver, scratch);
  try {
    for (const target of SIZES) {
      await inst.grow(target);
      const tokens = await inst.tokenCount();
      log(`${driver}: measuring at ${tokens} tokens in ${inst.seats.length} businesses`);
      const idle = await idleCpu(inst.a.pid, inst.b.pid);
      log(`${driver}: A and B idle for 5 s used ${idle}% of a core (their background work)`);
      const { figures, medians } = await measure(inst, SETTINGS);
      process.stdout.write(`${line(driver, tokens, figures)}\n`);
      log(`${driver}: medians ${JSON.stringify(medians)}`);
      const bytes = await inst.db.sizeBytes();
      process.stdout.write(
        `size ${driver} tokens=${tokens} businesses=${inst.seats.length} ` +
          `db_mib=${round(bytes / 2 ** 20, 1)} db_bytes_per_token=${Math.round(bytes / tokens)}\n`,
      );
      points.push({
        driver,
        tokens,
        figures,
        medians: { ...medians, idle_cpu_pct: idle },
        dbBytes: bytes,
      });
    }
  } finally {
    await inst.close();
  }
  return points;
}

/** Each figure at the largest size against the smallest, one line a figure. */
function judge(points: ScalePoint[]): string[] {
  const out: string[] = [];
  for (const driver of new Set(points.map((p) => p.driver))) {
    const mine = points.filter((p) => p.driver === driver);
    const [first, last] = [mine[0], mine[mine.length - 1]];
    for (const f of FIGURE_NAMES) {
      const r = worseness(f, first.figures, last.figures);
      out.push(
        `goal ${driver} ${f}: ${first.figures[f]} at ${first.tokens} → ${last.figures[f]} at ` +
          `${last.tokens} tokens, ${round(r, 2)}× ${r <= GOAL_RATIO ? 'met' : 'MISSED'} (≤ ${GOAL_RATIO}×)`,
      );
    }
  }
  return out;
}

function commit(): string {
  try {
    return execSync('git rev-parse --short HEAD', { cwd: REPO_ROOT }).toString().trim();
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const loadAtStart = loadAverage();
  // The build measured: other work may commit while a full run takes its twenty minutes.
  const measured = commit();
  const machine = describeMachine();
  log(machineLine(machine));
  await checkServers();
  const scratch = new BenchScratch();
  process.once('SIGINT', () => {
    log('interrupted: cleaning up');
    void scratch.cleanup().finally(() => process.exit(130));
  });
  const points: ScalePoint[] = [];
  try {
    for (const driver of DRIVERS) points.push(...(await runDriver(driver, scratch)));
  } finally {
    await scratch.cleanup();
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  const flags = [QUICK ? '--quick' : '', DRIVER_ARG ? `--driver=${DRIVER_ARG}` : ''].filter(
    Boolean,
  );
  const command =
    (process.env.SCALE_SIZES ? `SCALE_SIZES=${process.env.SCALE_SIZES} ` : '') +
    `npm run bench:scale${flags.length ? ` -- ${flags.join(' ')}` : ''}`;
  const date = new Date().toISOString().slice(0, 10);
  process.stdout.write(`\n${judge(points).join('\n')}\n`);
  process.stdout.write(
    `\n${machineLine(machine)}\ncommand: ${command}; took ${seconds} s; commit ${measured}; ` +
      `load average ${loadAtStart} at start, ${loadAverage()} at end\n`,
  );
  const caption = `${command}, ${date}, ${measured}, load ${loadAtStart} → ${loadAverage()}; each figure ÷ its value at ${SIZES[0].toLocaleString('en')} tokens`;
  mkdirSync(join(REPO_ROOT, 'docs', 'images'), { recursive: true });
  writeFileSync(SVG_PATH, scaleSvg(points, caption));
  const results = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(results, { recursive: true });
  writeFileSync(
    join(results, 'scale-latest.json'),
    `${JSON.stringify({ date: new Date().toISOString(), command, machine, took_s: seconds, load_average: { start: loadAtStart, end: loadAverage() }, settings: SETTINGS, points }, null, 2)}\n`,
  );
  process.stdout.write(`curve written to ${SVG_PATH}\n`);
}

runBench('bench:scale', main);
