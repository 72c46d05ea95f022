#!/usr/bin/env node
/**
 * `npm run cli`: builds dist/ when a source changed since the last build (build-if-stale.js),
 * then runs the built CLI (dist/src/cli/main.js) in this same process, which reads its
 * arguments from process.argv as there. One Node start where a `precli` step took two.
 * Plain JavaScript, so it runs before anything is compiled.
 */
require('./build-if-stale')
  .buildServerIfStale()
  .then(
    () => require('../dist/src/cli/main.js'),
    (e) => {
      process.stderr.write(`${e.message ?? e}\n`);
      process.exit(1);
    },
  );
