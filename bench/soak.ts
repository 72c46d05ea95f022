/**
 * `npm run bench:soak`: memory over time on the verify route. One instance of the built app on
 * PostgreSQL and Redis (`--sqlite`: on SQLite), a business and a token; a short autocannon run
 * finds `/auth/verify`'s peak, then `--minutes N` (10) at 80 % of it (autocannon's `overallRate`,
 * on 127.0.0.1), printing the instance's RSS each minute, and RSS once the load has stopped.
 * Goals: RSS grows at most 10 % after the second minute, and peaks at most 220 MiB: what load
 * leaves is garbage a collection gives back, not a leak. A missed goal is printed, not an exit 1.
 */
import autocannon from 'autocannon';
import { RATE_LIMITS_OFF } from '../test/harness/app-process';
import { SHARED_KEYS_ENV } from '../test/harness/keys';
import { gatewayScoped, LatchkeyClient } from '../test/harness/latchkey-client';
import { redisAnswers } from '../test/harness/servers/redis';
import { round } from '../test/harness/stats';
import { loadAverage, log } from './lib/figures';
import { describeMachine, machineLine } from './lib/machine';
import { rssMiB, sampleRss } from './lib/rss';
import { LOG_LEVEL, REDIS_URL } from './lib/run-settings';
import { BenchScratch } from './lib/scratch';
import { runBench } from './lib/run-bench';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const MINUTES = Number(arg('--minutes') ?? 10);
const SQLITE = process.argv.includes('--sqlite');
const PEAK_SECONDS = Number(process.env.SOAK_PEAK_SECONDS ?? 10);
const SHARE_OF_PEAK = 0.8;
const CONNECTIONS = 50;
/** What settles after the load stops: V8's memory reducer gives the young generation back. */
const AFTER_MS = 30_000;
const GOALS = { growthAfterMinute2: 0.1, peakMiB: 220 };

async function startInstance(scratch: BenchScratch) {
  const env = SQLITE
    ? {
        SQLITE_PATH: `${scratch.sqliteDir}/soak.sqlite`,
        REDIS_URL,
        REDIS_KEY_PREFIX: scratch.keyPrefix,
        LOG_LEVEL,
        ...SHARED_KEYS_ENV,
        ...RATE_LIMITS_OFF,
      }
    : await scratch.createDatabase();
  const app = await scratch.start('soak', env);
  const client = new LatchkeyClient(app.url);
  const owner = await client.createBusiness(app.platformToken ?? '', 'soak');
  const token = await client.createToken(owner, 'soak');
  const headers = gatewayScoped(token.token, owner.businessId);
  return { app, url: `${app.url}/auth/verify`, headers };
}

/** The whole soak, with a line a minute: RSS now, the peak so far, and the minute's rate. */
function soak(url: string, headers: Record<string, string>, rate: number, pid: number) {
  const minutes: number[] = [];
  const peak = sampleRss(pid, 250);
  let answered = 0;
  return new Promise<{ minutes: number[]; peak: number; result: autocannon.Result }>(
    (resolve, reject) => {
      const run = autocannon(
        { url, headers, connections: CONNECTIONS, overallRate: rate, duration: MINUTES * 60 },
        (err, result) => {
          clearInterval(timer);
          const top = peak.stop();
          if (err) reject(err instanceof Error ? err : new Error(String(err)));
          else resolve({ minutes, peak: top, result });
        },
      );
      run.on('response', () => answered++);
      const timer = setInterval(() => {
        const rss = rssMiB(pid);
        minutes.push(rss);
        process.stdout.write(
          `soak minute=${minutes.length} rss_mib=${round(rss, 1)} ` +
            `rps=${round(answered / 60, 0)} load=${loadAverage()}\n`,
        );
        answered = 0;
      }, 60_000);
    },
  );
}

function judge(minutes: number[], peak: number): string[] {
  const out: string[] = [];
  if (minutes.length >= 3) {
    const growth = (minutes[minutes.length - 1] - minutes[1]) / minutes[1];
    const met = growth <= GOALS.growthAfterMinute2;
    out.push(
      `soak growth after minute 2: ${round(growth * 100, 1)} % (${round(minutes[1], 1)} → ` +
        `${round(minutes[minutes.length - 1], 1)} MiB), goal ≤ ${GOALS.growthAfterMinute2 * 100} % ` +
        `${met ? 'met' : 'MISSED'}`,
    );
  } else {
    out.push('soak growth after minute 2: not measured (run at least 3 minutes)');
  }
  const met = peak <= GOALS.peakMiB;
  out.push(
    `soak peak rss: ${round(peak, 1)} MiB, goal ≤ ${GOALS.peakMiB} MiB ${met ? 'met' : 'MISSED'}`,
  );
  return out;
}

async function main(): Promise<void> {
  const machine = describeMachine();
  log(machineLine(machine));
  if (!(await redisAnswers(REDIS_URL))) throw new Error(`Redis does not answer at ${REDIS_URL}`);
  const loadAtStart = loadAverage();
  const scratch = new BenchScratch();
  process.once('SIGINT', () => {
    log('interrupted: cleaning up');
    void scratch.cleanup().finally(() => process.exit(130));
  });
  try {
    const { app, url, headers } = await startInstance(scratch);
    await autocannon({ url, headers, connections: CONNECTIONS, duration: 2 });
    const peakRun = await autocannon({
      url,
      headers,
      connections: CONNECTIONS,
      duration: PEAK_SECONDS,
    });
    const rate = Math.round(peakRun.requests.average * SHARE_OF_PEAK);
    const before = rssMiB(app.pid);
    process.stdout.write(
      `soak peak_rps=${round(peakRun.requests.average, 0)} rate=${rate} ` +
        `minutes=${MINUTES} driver=${SQLITE ? 'sqlite' : 'postgres'} rss_mib_before=${round(before, 1)}\n`,
    );
    const { minutes, peak, result } = await soak(url, headers, rate, app.pid);
    if (result.non2xx > 0 || result.errors > 0) {
      process.stdout.write(`soak: ${result.non2xx} non-2xx answers, ${result.errors} errors\n`);
    }
    await new Promise((r) => setTimeout(r, AFTER_MS));
    process.stdout.write(
      `soak rss_mib ${AFTER_MS / 1000} s after the load: ${round(rssMiB(app.pid), 1)}; ` +
        `${result.requests.total} requests in all, ${round(result.requests.average, 0)}/s\n`,
    );
    process.stdout.write(`${judge(minutes, peak).join('\n')}\n`);
    process.stdout.write(
      `${machineLine(machine)}\ncommand: npm run bench:soak -- --minutes ${MINUTES}` +
        `${SQLITE ? ' --sqlite' : ''}; load average ${loadAtStart} at start, ${loadAverage()} at end\n`,
    );
  } finally {
    await scratch.cleanup();
  }
}

runBench('bench:soak', main);
