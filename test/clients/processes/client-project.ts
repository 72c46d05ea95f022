import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../harness/app-process';
import { Ran, run } from './package-scratch';

/**
 * The scratch project of client-package.e2e-spec.ts, beside the packed @latchkey/client: the
 * frameworks it installs, the README's examples, and consumer programs, one body written so that
 * it is also strict TypeScript under each module system's imports (CommonJS, ES modules, and
 * TypeScript compiled to each), all compiled with the shipped declarations checked.
 */

const README = join(REPO_ROOT, 'packages', 'client', 'README.md');
const TSC = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** The same program for every module system, written so that it is also strict TypeScript. */
export const CONSUMER_BODY = `
async function main() {
  const [base, ownerToken, ordersToken, otherToken, businessId] = [
    'LATCHKEY_URL',
    'LATCHKEY_OWNER_TOKEN',
    'LATCHKEY_ORDERS_TOKEN',
    'LATCHKEY_OTHER_TOKEN',
    'LATCHKEY_BUSINESS_ID',
  ].map((name) => {
    const value = process.env[name];
    if (!value) throw new Error(name + ' is unset');
    return value;
  });

  const owner = createLatchkeyClient(base, { token: ownerToken, businessId });
  const me = await owner.GET('/api/v1/me');
  if (!me.data) throw new Error('GET /api/v1/me: ' + me.error.code);

  const edge = new EdgeVerifier({ baseUrl: base });
  const online = await edge.verify(ordersToken, { businessId });
  const again = edge.checkCached(ordersToken) ?? (await edge.verify(ordersToken));

  const pair = await promisify(generateKeyPair)('ec', { namedCurve: 'P-256' });
  const jkt = await dpopThumbprint({ ...pair, alg: 'ES256' });
  const made = await owner.POST('/api/v1/tokens', { body: { name: 'bound', dpop_jkt: jkt } });
  if (!made.data) throw new Error('POST /api/v1/tokens: ' + made.error.code);
  const bound = createLatchkeyClient(base, { token: made.data.data.token, businessId });
  bound.use(await dpopMiddleware(made.data.data.token, { ...pair, alg: 'ES256' }));
  const boundMe = await bound.GET('/api/v1/me');

  const app = express();
  app.get('/orders', latchkey({ verifier: edge }), requireScopes('orders:read'), (req, res) => {
    res.json({ identityId: req.latchkey?.identityId, meta: req.latchkey?.meta });
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  const url = 'http://127.0.0.1:' + address.port + '/orders';
  const allowed = await fetch(url, { headers: { authorization: 'Bearer ' + ordersToken } });
  const refused = await fetch(url, { headers: { authorization: 'Bearer ' + otherToken } });
  const guarded = {
    allowed: { status: allowed.status, body: await allowed.json() },
    refused: { status: refused.status, body: await refused.json() },
  };
  server.closeAllConnections();
  server.close();

  return {
    resolved,
    me: { status: me.response.status, identityId: me.data.data.identity.id },
    online,
    again,
    dpop: { jkt, status: boundMe.response.status, boundTo: boundMe.data?.data.token.dpop_jkt },
    express: guarded,
  };
}

main().then(
  (result) => console.log(JSON.stringify(result)),
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);
`;

const IMPORTS = `import { once } from 'node:events';
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import express from 'express';
import { createLatchkeyClient } from '@latchkey/client';
import { EdgeVerifier } from '@latchkey/client/verifier';
import { dpopMiddleware, dpopThumbprint } from '@latchkey/client/dpop';
import { latchkey, requireScopes } from '@latchkey/client/express';
`;

/** Each consumer, by file: its imports, and where it found the verifier. */
export const CONSUMERS: Record<string, string> = {
  'consumer.cjs': `'use strict';
const { once } = require('node:events');
const { generateKeyPair } = require('node:crypto');
const { promisify } = require('node:util');
const express = require('express');
const { createLatchkeyClient } = require('@latchkey/client');
const { EdgeVerifier } = require('@latchkey/client/verifier');
const { dpopMiddleware, dpopThumbprint } = require('@latchkey/client/dpop');
const { latchkey, requireScopes } = require('@latchkey/client/express');
const resolved = require.resolve('@latchkey/client/verifier');
`,
  'consumer.mjs': `${IMPORTS}import { fileURLToPath } from 'node:url';
const resolved = fileURLToPath(import.meta.resolve('@latchkey/client/verifier'));
`,
  'consumer-ts.mts': `${IMPORTS}import { fileURLToPath } from 'node:url';
const resolved = fileURLToPath(import.meta.resolve('@latchkey/client/verifier'));
`,
  'consumer-ts.cts': `${IMPORTS}const resolved = require.resolve('@latchkey/client/verifier');
`,
};

export const TS_CONSUMERS = ['consumer-ts.mts', 'consumer-ts.cts'] as const;

/** What the README's examples import, at the major each was written for (null: any). */
export const FRAMEWORKS: Record<string, number | null> = {
  express: 5,
  fastify: 5,
  hono: 4,
  '@hono/node-server': 2,
  '@nestjs/common': 11,
  '@nestjs/core': 11,
  '@nestjs/platform-fastify': 11,
  'reflect-metadata': null,
  rxjs: null,
  '@types/express': 5,
  '@types/node': 20,
};

/** Each example of "Protecting your API": its heading, and the route it leaves open, if any. */
export const EXAMPLES = [
  { name: 'express', heading: 'Express', open: null },
  { name: 'fastify', heading: 'Fastify', open: '/health' },
  { name: 'nestjs', heading: 'NestJS', open: '/health' },
  { name: 'hono', heading: 'Hono', open: null },
] as const;

/** `name@version` as the root's package-lock.json has it, at the major the README's code wants. */
export function locked(name: string, major: number | null): string {
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string } | undefined>;
  };
  const version = lock.packages[`node_modules/${name}`]?.version;
  if (!version) throw new Error(`package-lock.json has no ${name}`);
  if (major !== null && Number(version.split('.')[0]) !== major) {
    throw new Error(`package-lock.json has ${name}@${version}, not ${major}.x`);
  }
  return `${name}@${version}`;
}

/** The ```ts block after the README's `### <heading>`, as written. */
function readmeExample(heading: string): string {
  const readme = readFileSync(README, 'utf8');
  const at = readme.indexOf(`\n### ${heading}\n`);
  const block = at < 0 ? null : /```ts\n([\s\S]*?)\n```/.exec(readme.slice(at));
  if (!block) throw new Error(`packages/client/README.md: no ts block under ### ${heading}`);
  return `${block[1]}\n`;
}

/**
 * What tsc (`--pretty false`) said of `file`, and of any declaration file it loaded (the
 * package's own, with skipLibCheck off), and of the project itself (`error TS…`, no path). Another
 * source of the same program is that source's to answer for.
 */
export function errorsFor(ran: Ran, file: string, sources: readonly string[]): string[] {
  return (ran.stdout + ran.stderr)
    .split('\n')
    .filter((line) => /^(\S+\(\d+,\d+\): )?error TS\d+/.test(line))
    .filter((line) => {
      const path = line.slice(0, line.indexOf('('));
      return path === file || !sources.includes(path);
    });
}

/** Writes the consumers and the README's examples, and compiles each set strictly. */
export async function writeAndCompile(
  project: string,
): Promise<{ consumerTsc: Ran; exampleTsc: Ran }> {
  for (const [file, imports] of Object.entries(CONSUMERS)) {
    writeFileSync(join(project, file), `${imports}${CONSUMER_BODY}`);
  }
  for (const { name, heading } of EXAMPLES) {
    writeFileSync(join(project, `${name}.mts`), readmeExample(heading));
  }
  const strict = {
    strict: true,
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    skipLibCheck: false,
  };
  const tsconfig = (name: string, options: object, files: string[]) =>
    writeFileSync(
      join(project, name),
      JSON.stringify({ compilerOptions: { ...strict, ...options }, files }),
    );
  // A Node-only project, as @tsconfig/node20 sets one up: no DOM types to lean on.
  tsconfig('tsconfig.consumers.json', { lib: ['es2023'], outDir: 'out' }, [...TS_CONSUMERS]);
  tsconfig(
    'tsconfig.examples.json',
    { experimentalDecorators: true, emitDecoratorMetadata: true, outDir: 'out' },
    EXAMPLES.map((e) => `${e.name}.mts`),
  );
  const [consumerTsc, exampleTsc] = await Promise.all(
    ['tsconfig.consumers.json', 'tsconfig.examples.json'].map((p) =>
      run(process.execPath, [TSC, '-p', p, '--pretty', 'false'], project),
    ),
  );
  return { consumerTsc, exampleTsc };
}
