/**
 * Which lane each suite of the `processes` project runs in (test/setup/lanes-runner.js,
 * docs/testing.md). Plain JavaScript: jest.config.js and the runner both read it.
 *
 * - `SPAWNING`: suites that start app or CLI processes, bash or Chromium, and assert what they
 *   do, not how fast. They run two at a time, beside the in-process suites.
 * - `TIMED`: suites that assert a bound in time or memory, start servers of their own (Sentinel,
 *   Cluster, a replica), drive apps at a load that a busy machine turns into timeouts, or bind
 *   ports a neighbour could take first. They run one at a time, after every other suite, so no
 *   neighbour's load moves what they measure.
 */
const SPAWNING = [
  'bootstrap',
  'cli',
  'cli-front',
  'cli-grammar',
  'console',
  'console-members',
  'console-governance',
  'console-screens',
  'docs-blocks',
  'readme-audit-proof',
  'readme-postgres',
  'request-log',
  'start',
  'swagger-ui',
  'token-uses-crash',
  'tracing',
  'typed-client',
];

const TIMED = [
  'cli-bus',
  'faults',
  'gateways',
  'memory-budget',
  'multi-instance',
  'pgbouncer',
  'redis-cluster',
  'redis-sentinel',
  'replicas',
  'request-timeout',
  'shutdown',
  'webhooks-fairness',
  'webhooks-processes',
];

/** A regular expression for the suites of `names`, as jest's testRegex takes it. */
const suites = (names) => `test/(${names.join('|')})\\.e2e-spec\\.ts$`;

module.exports = { SPAWNING, TIMED, suites };
