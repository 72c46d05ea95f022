/**
 * jest's own order (failed last time first, then slowest first), with a fallback for the times:
 * on a fresh clone jest has no timings of its own and would order by file size, which starts a
 * long suite with a small file (cascade-batches) last and leaves one worker running it alone at
 * the end. The fallback is test/setup/suite-seconds.json, each suite's seconds from a whole run of
 * the same mode: with both servers set (CI), or with neither (a newcomer's `npm test`, where the
 * PostgreSQL halves of the suites are left out and the order differs);
 * `node scripts/suite-times.js run.json --seconds servers|sqlite` writes them again
 * (docs/testing.md).
 */
const { relative } = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;
const ALL = require('./suite-seconds.json');
// As test/setup/servers.ts reads them.
const WITH_SERVERS = Boolean(process.env.TEST_DATABASE_URL && process.env.REDIS_URL);
// A mode with no run recorded yet takes the other's order: the same suites, most on fewer drivers.
const SECONDS = (WITH_SERVERS ? ALL.servers : ALL.sqlite) ?? ALL.servers ?? ALL.sqlite ?? {};

class SlowestFirst extends Sequencer {
  time(test) {
    const measured = super.time(test);
    if (measured !== undefined) return measured;
    const known = SECONDS[relative(test.context.config.rootDir, test.path)];
    return known === undefined ? undefined : known * 1000;
  }
}

module.exports = SlowestFirst;
