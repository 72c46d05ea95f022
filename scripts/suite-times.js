#!/usr/bin/env node
/**
 * Each suite's wall time from `jest --json --outputFile=<file>`, slowest first, as a Markdown
 * table (docs/testing.md keeps one per run it compares):
 *
 *   node scripts/suite-times.js run.json [rows]
 *   node scripts/suite-times.js run.json --seconds servers|sqlite
 *   node scripts/suite-times.js --cpu cpu.jsonl [rows]    (what SUITE_CPU_FILE wrote)
 *
 * `--seconds <mode>` instead writes each suite's whole seconds to test/setup/suite-seconds.json,
 * under the run's mode (`servers`: database and Redis set, as in CI; `sqlite`: neither), for the
 * test sequencer, so a fresh clone starts its slowest suites first. Plain JavaScript.
 */
const { readFileSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');

const [file, rowsArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node scripts/suite-times.js run.json [rows|--seconds]\n');
  process.stderr.write('       node scripts/suite-times.js --cpu cpu.jsonl [rows]\n');
  process.exit(2);
}
if (file === '--cpu') {
  printCpu(rowsArg, process.argv[4]);
  process.exit(0);
}

/**
 * Each suite's CPU (test/setup/suite-cpu.js), its processes' included, most first, with the
 * totals; `rows` of them (all when not given, the table left out at 0).
 */
function printCpu(cpuFile, rows) {
  const lines = readFileSync(cpuFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const list = lines
    .map((l) => ({ ...l, cpu_s: l.user_s + l.system_s }))
    .sort((a, b) => b.cpu_s + (b.children_s ?? 0) - (a.cpu_s + (a.children_s ?? 0)));
  const total = list.reduce((sum, l) => sum + l.cpu_s, 0);
  const children = list.reduce((sum, l) => sum + (l.children_s ?? 0), 0);
  const shown = list.slice(0, rows === undefined ? list.length : Number(rows));
  const out = [
    `${list.length} suites, ${total.toFixed(0)} s of CPU in the jest workers, ` +
      `${children.toFixed(0)} s in the processes they started`,
  ];
  const running = concurrency(lines);
  if (running) out.push(running);
  if (shown.length > 0) {
    out.push(
      '',
      `The ${shown.length} suites that cost the most CPU:`,
      '| suite | CPU seconds | CPU seconds of its processes | wall seconds |',
      '| --- | ---: | ---: | ---: |',
    );
  }
  for (const l of shown) {
    const started = l.children_s === undefined ? '' : l.children_s.toFixed(1);
    out.push(`| ${l.suite} | ${l.cpu_s.toFixed(1)} | ${started} | ${l.wall_s.toFixed(1)} |`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}
/**
 * How many suites ran at once, second by second, from each line's start and wall time: the
 * seconds spent with fewer than the lanes' four are where the run waited on its slowest suites.
 */
function concurrency(lines) {
  const timed = lines.filter((l) => l.started_at);
  if (timed.length === 0) return null;
  const starts = timed.map((l) => Date.parse(l.started_at) / 1000);
  const first = Math.min(...starts);
  const seconds = new Map();
  timed.forEach((l, i) => {
    for (let t = Math.floor(starts[i] - first); t < starts[i] - first + l.wall_s; t++) {
      seconds.set(t, (seconds.get(t) ?? 0) + 1);
    }
  });
  const last = Math.max(...timed.map((l, i) => starts[i] - first + l.wall_s));
  const byCount = new Map();
  for (let t = 0; t < Math.ceil(last); t++) {
    const n = seconds.get(t) ?? 0;
    byCount.set(n, (byCount.get(n) ?? 0) + 1);
  }
  const counts = [...byCount].sort((a, b) => b[0] - a[0]);
  return (
    `\nSuites running at once, over the run's ${Math.ceil(last)} s: ` +
    counts.map(([n, s]) => `${n} for ${s} s`).join(', ')
  );
}

const report = JSON.parse(readFileSync(file, 'utf8'));
const root = (name) => {
  const at = name.search(/\/(src|test)\//);
  return at < 0 ? relative(process.cwd(), name) : name.slice(at + 1);
};
const suites = report.testResults
  .map((s) => ({
    name: root(s.name),
    seconds: (s.endTime - s.startTime) / 1000,
    tests: s.assertionResults.length,
  }))
  .sort((a, b) => b.seconds - a.seconds);
const sum = (list) => list.reduce((total, s) => total + s.seconds, 0);
const units = suites.filter((s) => s.name.startsWith('src/'));
const wall = (Math.max(...report.testResults.map((s) => s.endTime)) - report.startTime) / 1000;

if (rowsArg === '--seconds') {
  const mode = process.argv[4];
  if (mode !== 'servers' && mode !== 'sqlite') {
    process.stderr.write('usage: node scripts/suite-times.js run.json --seconds servers|sqlite\n');
    process.exit(2);
  }
  const target = join(__dirname, '..', 'test', 'setup', 'suite-seconds.json');
  const all = JSON.parse(readFileSync(target, 'utf8'));
  all[mode] = Object.fromEntries(suites.map((s) => [s.name, Math.round(s.seconds)]));
  writeFileSync(target, `${JSON.stringify(all, null, 2)}\n`);
  process.stdout.write(`${target}: ${suites.length} suites under "${mode}"\n`);
  process.exit(0);
}

const out = [
  `${suites.length} suites, ${report.numPassedTests} tests passed, ${report.numFailedTests} failed;` +
    ` run ${wall.toFixed(0)} s wall, suites ${sum(suites).toFixed(0)} s summed` +
    ` (unit specs: ${units.length}, ${sum(units).toFixed(0)} s)`,
  '',
  '| suite | seconds | tests |',
  '| --- | ---: | ---: |',
];
const rows = rowsArg === undefined ? suites.length : Number(rowsArg);
for (const s of suites.slice(0, rows)) {
  out.push(`| ${s.name} | ${s.seconds.toFixed(1)} | ${s.tests} |`);
}
process.stdout.write(`${out.join('\n')}\n`);
