/**
 * A jest reporter that ends every run with what it did (docs/testing.md, "What a run says"):
 * - the tests run, failed and skipped, with each skipped test's name (which says why);
 * - what the seeded sample of each matrix left out (test/harness/sampling.ts), with the seed that
 *   replays it and the command that runs every row;
 * - the ten slowest suites, in wall seconds and, with SUITE_CPU_FILE set (as .ci/run sets it), the
 *   CPU seconds each spent (test/setup/suite-cpu.js).
 * Plain JavaScript: jest loads it before anything is compiled.
 */
const { existsSync, readFileSync } = require('node:fs');
const { relative } = require('node:path');

const SLOWEST = 10;
const number = new Intl.NumberFormat('en');

function jsonLines(file) {
  if (!file || !existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

/** Sample records summed per suite and matrix (one call per driver, or per worker's load). */
function samplesOf(file) {
  const byKey = new Map();
  for (const r of jsonLines(file)) {
    const key = `${r.suite}\0${r.matrix}`;
    const seen = byKey.get(key) ?? { ...r, kept: 0, rows: 0, calls: 0 };
    seen.kept += r.kept;
    seen.rows += r.rows;
    seen.calls += 1;
    byKey.set(key, seen);
  }
  return [...byKey.values()];
}

class RunSummary {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const out = [];
    const rel = (path) => relative(this.rootDir, path);
    const skipped = [];
    for (const suite of results.testResults) {
      for (const test of suite.testResults) {
        if (test.status === 'pending' || test.status === 'skipped' || test.status === 'todo') {
          skipped.push({ suite: rel(suite.testFilePath), title: test.fullName });
        }
      }
    }
    const samples = samplesOf(process.env.LATCHKEY_SAMPLES_FILE);
    const leftOut = samples.reduce((n, s) => n + (s.rows - s.kept) * s.testsPerRow, 0);
    const ran = results.numPassedTests + results.numFailedTests;
    out.push(
      '',
      `Tests: ${number.format(ran)} run (${number.format(results.numFailedTests)} failed), ` +
        `${number.format(skipped.length)} skipped, ${number.format(leftOut)} left out by the ` +
        `sample of ${samples.length} ${samples.length === 1 ? 'matrix' : 'matrices'}, in ` +
        `${results.numTotalTestSuites} suites`,
    );
    // Grouped by suite: a suite left out whole (its server is not configured, which the run's
    // start says) is one line, not one per test.
    const bySuite = new Map();
    for (const { suite, title } of skipped) {
      bySuite.set(suite, [...(bySuite.get(suite) ?? []), title]);
    }
    for (const [suite, titles] of bySuite) {
      out.push(
        titles.length === 1
          ? `  skipped: ${suite}: ${titles[0]}`
          : `  skipped: ${suite}: ${titles.length} tests, among them "${titles[0]}"`,
      );
    }
    if (samples.length > 0) {
      const seed = samples[0].seed;
      out.push(
        `Sampled (TEST_SEED=${seed} replays this sample; npm run test:full runs every row):`,
      );
      for (const s of samples.sort((a, b) => (a.suite + a.matrix < b.suite + b.matrix ? -1 : 1))) {
        const unit = s.unit ?? 'rows';
        out.push(`  ${s.suite}: ${s.matrix}: ${s.kept} of ${s.rows} ${unit}`);
      }
    }
    const cpu = new Map(
      jsonLines(process.env.SUITE_CPU_FILE).map((l) => [
        l.suite,
        l.user_s + l.system_s + (l.children_s ?? 0),
      ]),
    );
    const slowest = results.testResults
      .map((s) => ({
        suite: rel(s.testFilePath),
        seconds: (s.perfStats.end - s.perfStats.start) / 1000,
      }))
      .sort((a, b) => b.seconds - a.seconds)
      .slice(0, SLOWEST);
    out.push(
      `The ${SLOWEST} slowest suites (wall seconds${cpu.size ? '; CPU seconds, children included' : ''}):`,
    );
    for (const s of slowest) {
      const spent = cpu.get(s.suite);
      const cpuText = spent === undefined ? '' : ` (CPU ${spent.toFixed(1)})`;
      out.push(`  ${s.seconds.toFixed(1).padStart(7)} s${cpuText}  ${s.suite}`);
    }
    process.stdout.write(`${out.join('\n')}\n`);
  }
}

module.exports = RunSummary;
