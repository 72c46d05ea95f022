#!/usr/bin/env node
/**
 * Compares the passing tests of two runs, from `jest --json --outputFile=<file>`:
 *
 *   node scripts/compare-test-titles.js before.json after.json
 *
 * A test is its full title (describe blocks and name), counted as often as it passes, so a title
 * that two suites share counts twice. A uuid in a title (a test named after the random id it
 * sends) reads as `<uuid>`, so the same test matches across runs. It prints how many passed in each run, per driver (a title
 * that names sqlite or postgres; the rest are "either"), then every title of the first run that the
 * second lacks, and exits 1 if there is any: the second run may only add tests. Plain JavaScript,
 * so it needs no build.
 */
const { readFileSync } = require('node:fs');

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
/** An ISO instant in a title (a test named after a time it sends, made from the clock). */
const INSTANT = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g;

function passing(file) {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  const counts = new Map();
  for (const suite of report.testResults) {
    for (const test of suite.assertionResults) {
      if (test.status !== 'passed') continue;
      const title = test.fullName.replace(UUID, '<uuid>').replace(INSTANT, '<instant>');
      counts.set(title, (counts.get(title) ?? 0) + 1);
    }
  }
  return counts;
}

const driverOf = (title) =>
  /\bpostgres(ql)?\b/i.test(title) ? 'postgres' : /\bsqlite\b/i.test(title) ? 'sqlite' : 'either';

function perDriver(counts) {
  const totals = { sqlite: 0, postgres: 0, either: 0, all: 0 };
  for (const [title, n] of counts) {
    totals[driverOf(title)] += n;
    totals.all += n;
  }
  return totals;
}

/**
 * `--renamed <file>`: titles renamed on purpose, as JSON `[{"from": "...", "to": "...", "why":
 * "..."}]`, each `from` a piece of an old title that reads `to` now. Each is printed with its
 * reason, and the renamed title must pass after as the old one did; nothing else is forgiven.
 */
function renamesOf(args) {
  const at = args.indexOf('--renamed');
  if (at === -1) return [];
  return JSON.parse(readFileSync(args[at + 1], 'utf8'));
}

function renamed(counts, renames) {
  if (renames.length === 0) return counts;
  const out = new Map();
  for (const [title, n] of counts) {
    let now = title;
    for (const { from, to } of renames) now = now.split(from).join(to);
    out.set(now, (out.get(now) ?? 0) + n);
  }
  return out;
}

function main() {
  const args = process.argv.slice(2);
  const [beforeFile, afterFile] = args.filter(
    (a, i) => !a.startsWith('--') && args[i - 1] !== '--renamed',
  );
  if (!beforeFile || !afterFile) {
    process.stderr.write(
      'usage: node scripts/compare-test-titles.js before.json after.json [--renamed renames.json]\n',
    );
    process.exit(2);
  }
  const renames = renamesOf(args);
  for (const { from, to, why } of renames) {
    process.stdout.write(`renamed: "${from}" reads "${to}" (${why})\n`);
  }
  const before = renamed(passing(beforeFile), renames);
  const after = passing(afterFile);
  const missing = [];
  for (const [title, n] of before) {
    const lacking = n - (after.get(title) ?? 0);
    for (let i = 0; i < lacking; i++) missing.push(title);
  }
  const b = perDriver(before);
  const a = perDriver(after);
  process.stdout.write('passing tests   before   after\n');
  for (const key of ['sqlite', 'postgres', 'either', 'all']) {
    process.stdout.write(
      `${key.padEnd(14)}${String(b[key]).padStart(8)}${String(a[key]).padStart(8)}\n`,
    );
  }
  if (missing.length === 0) {
    process.stdout.write('\nEvery test that passed before passes after.\n');
    return;
  }
  process.stdout.write(`\n${missing.length} test(s) passed before and not after:\n`);
  for (const title of missing) process.stdout.write(`  - ${title}\n`);
  process.exit(1);
}

main();
