#!/usr/bin/env node
/**
 * The CLI's start times: each command run ten times (after two unmeasured runs), the median
 * printed as a Markdown table (docs/testing.md keeps them, before and after a change):
 *
 *   npm run -s build && node scripts/cli-times.js [--runs 10] [--against DIR]
 *
 * `--against DIR` times another checkout's build too, the runs alternating so both see the same
 * machine: on a shared machine a figure moves by half, but the two move together. The database
 * is DATABASE_URL when set, else a SQLite file made here (in /dev/shm when there is one). npm's
 * own start is measured apart, so what the CLI adds to it shows. Plain JavaScript.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');

const MAIN = join('dist', 'src', 'cli', 'main.js');

function parseArgs(argv) {
  const opts = { runs: 10, roots: [join(__dirname, '..')] };
  for (let i = 0; i < argv.length; i += 2) {
    if (argv[i] === '--runs') opts.runs = Number(argv[i + 1]);
    else if (argv[i] === '--against' && argv[i + 1]) opts.roots.push(resolve(argv[i + 1]));
    else opts.runs = NaN;
  }
  if (!Number.isInteger(opts.runs) || opts.runs < 1) {
    process.stderr.write('usage: node scripts/cli-times.js [--runs N] [--against DIR]\n');
    process.exit(2);
  }
  for (const root of opts.roots) {
    if (!fs.existsSync(join(root, MAIN))) {
      process.stderr.write(`${join(root, MAIN)} is missing: run \`npm run -s build\` there\n`);
      process.exit(2);
    }
  }
  return opts;
}

/**
 * The CPU time of this process's waited-for children so far (user and system, their own
 * children's included), in ms: Linux's /proc at 100 ticks a second; null elsewhere. On a
 * machine shared with other work it moves far less than the wall time does.
 */
function childrenCpuMs() {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10; // cutime, cstime
  } catch {
    return null;
  }
}

function run(cmd, args, cwd, env) {
  const cpu = childrenCpuMs();
  const started = process.hrtime.bigint();
  const result = spawnSync(cmd, args, { cwd, env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { ms, cpu: cpu === null ? null : childrenCpuMs() - cpu, ...result };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (x) => `${Math.round(x).toLocaleString('en')} ms`;

function main() {
  const { runs, roots } = parseArgs(process.argv.slice(2));
  const scratch = fs.mkdtempSync(join(fs.existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'cli-'));
  const env = { ...process.env, LOG_LEVEL: 'silent' };
  if (!env.DATABASE_URL) env.SQLITE_PATH = join(scratch, 'latchkey.sqlite');
  // npm's floor: `npm run -s` of a script that does nothing, in a package of its own.
  const floor = join(scratch, 'floor');
  fs.mkdirSync(floor);
  fs.writeFileSync(join(floor, 'package.json'), JSON.stringify({ scripts: { noop: ':' } }));
  try {
    // The first build migrates (the oldest, when comparing, so the newer one migrates further).
    const made = run(
      'node',
      [MAIN, 'businesses', 'create', '--name', 'Timed', '--owner-email', 'o@timed.test'],
      roots[roots.length - 1],
      env,
    );
    for (const root of roots) run('node', [MAIN, '--help'], root, env);
    const business = JSON.parse(made.stdout).business.id;
    const secret = `lk_${'a'.repeat(36)}`;
    const list = ['tokens', 'list', '--business', business, '--limit', '1'];
    /** [label, command, args, expected exit code, run in npm's floor package instead] */
    const cases = [
      ['`node -e 0` (Node alone)', 'node', ['-e', '0'], 0, true],
      ['`node dist/src/cli/main.js --help`', 'node', [MAIN, '--help'], 0],
      ['`… tokens list --bogus` (usage error)', 'node', [MAIN, 'tokens', 'list', '--bogus'], 1],
      ['`… tokens show lk_…` (secret refused)', 'node', [MAIN, 'tokens', 'show', secret], 2],
      ['`… tokens list --business $BIZ --limit 1`', 'node', [MAIN, ...list], 0],
      ['`npm run -s noop` (npm alone, a script `:`)', 'npm', ['run', '-s', 'noop'], 0, true],
      ['`npm run -s cli -- --help`', 'npm', ['run', '-s', 'cli', '--', '--help'], 0],
      ['`npm run -s cli -- tokens list …`', 'npm', ['run', '-s', 'cli', '--', ...list], 0],
    ];
    const driver = env.DATABASE_URL ? 'PostgreSQL' : `SQLite in ${scratch}`;
    const builds = roots.map((r, i) => (i === 0 ? 'this build' : r));
    process.stdout.write(
      `Medians of ${runs} runs (after 2 unmeasured), ${driver}; wall time, then CPU time\n\n` +
        `| command | ${builds.map((b) => `${b}: wall | CPU`).join(' | ')} |\n` +
        `| --- |${' ---: | ---: |'.repeat(builds.length)}\n`,
    );
    for (const [label, cmd, args, code, inFloor] of cases) {
      const times = roots.map(() => ({ wall: [], cpu: [] }));
      for (let i = 0; i < runs + 2; i++) {
        roots.forEach((r, b) => {
          const cwd = inFloor ? floor : r;
          const result = run(cmd, args, cwd, env);
          if (result.status !== code) {
            throw new Error(`${label} in ${cwd} exited ${result.status}: ${result.stderr}`);
          }
          if (i < 2) return;
          times[b].wall.push(result.ms);
          if (result.cpu !== null) times[b].cpu.push(result.cpu);
        });
      }
      const cells = times.map((t) => {
        const cpu = t.cpu.length ? ms(median(t.cpu)) : 'n/a';
        return `${ms(median(t.wall))} | ${cpu}`;
      });
      process.stdout.write(`| ${label} | ${cells.join(' | ')} |\n`);
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main();
