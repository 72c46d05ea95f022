/**
 * jest's own order (failed last time first, then slowest first), with a fallback for the times:
 * on a fresh clone jest has no timings of its own and would order by file size, which starts a
 * long suite with a small file (cascade-batches) last and leaves one worker running it alone at
 * the end. The fallback is test/setup/suite-seconds.json, each suite's seconds from a whole run;
 * `node scripts/suite-times.js run.json --seconds` writes it again (docs/testing.md).
 */
const { relative } = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;
const SECONDS = require('./suite-seconds.json');

class SlowestFirst extends Sequencer {
  time(test) {
    const measured = super.time(test);
    if (measured !== undefined) return measured;
    const known = SECONDS[relative(test.context.config.rootDir, test.path)];
    return known === undefined ? undefined : known * 1000;
  }
}

module.exports = SlowestFirst;
