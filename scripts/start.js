#!/usr/bin/env node
/**
 * `npm start`: builds the server and the admin console when a source changed since their last
 * build (build-if-stale.js, build-console.js), then runs the built server (dist/src/main.js) in
 * this same process. One Node start where a `prestart` step took two, and one script npm runs
 * instead of two (about 100 ms of a warm start). Plain JavaScript, so it runs before anything is
 * compiled; it loads nothing but node:fs and node:path before the server when nothing changed, so
 * tracing (main.js's first import) still starts before http, pg and Nest load.
 */
require('./build-if-stale')
  .buildServerIfStale()
  .then(() => require('./build-console').buildConsoleIfStale())
  .then(
    () => require('../dist/src/main.js'),
    (e) => {
      process.stderr.write(`${e.message ?? e}\n`);
      process.exit(1);
    },
  );
