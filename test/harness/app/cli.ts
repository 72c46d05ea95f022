import { readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { runCli } from '../../../src/cli/run-cli';
import { REPO_ROOT } from '../app-process';

/** The built CLI, as `npm run -s cli` runs it: a spec builds it first (`buildApp()`). */
export const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** What every run gets, in-process or spawned: the caller's env on top of no logs. */
const envOf = (env: Record<string, string>) => ({ LOG_LEVEL: 'silent', ...env });

/**
 * Runs one CLI command inside the test process, through the program main.ts runs (`runCli`):
 * the same grammar, commands and core, with `env` as its whole environment and `input` on its
 * stdin (closed at once when none). What it writes is collected, stderr masked as the process
 * masks it. About a hundred times quicker than a process, which spends 1 to 2 s loading.
 */
export async function cliInProcess(
  args: string[],
  env: Record<string, string>,
  input = '',
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, envOf(env), {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    stdin: Readable.from(input === '' ? [] : [Buffer.from(input)]),
  });
  return { code, stdout, stderr };
}

/**
 * Runs one CLI command as a process of the built CLI (`node dist/src/cli/main.js`), with
 * `input` piped to its stdin. Only for what a process alone shows: its exit code, the masking
 * of its stderr by main.ts, stdin through a real pipe, and a start against a real database.
 */
export function cli(args: string[], env: Record<string, string>, input = ''): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', ...envOf(env) },
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

/** A command that must succeed (in-process): its stdout, or a failure that shows what it wrote. */
export async function ok(
  args: string[],
  env: Record<string, string>,
  input?: string,
): Promise<string> {
  const result = await cliInProcess(args, env, input);
  if (result.code !== 0) {
    throw new Error(`cli ${args[0]} exited ${result.code}: ${result.stderr}`);
  }
  return result.stdout;
}

/**
 * The packages a process of the built CLI loaded, read from `require.cache` as it exits (a
 * preload given in NODE_OPTIONS), with its result.
 */
export async function packagesLoaded(dir: string, args: string[], env: Record<string, string>) {
  const preload = join(dir, 'packages-loaded.js');
  const out = join(dir, `packages-${args.join('-').replace(/\W+/g, '_')}.json`);
  writeFileSync(
    preload,
    `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, ` +
      'JSON.stringify([...new Set(Object.keys(require.cache).map((f) => ' +
      '(f.match(/.*node_modules\\/((@[^/]+\\/)?[^/]+)/) || [])[1]).filter(Boolean))])));',
  );
  const run = await cli(args, { ...env, NODE_OPTIONS: `--require ${preload}` });
  return { run, packages: JSON.parse(readFileSync(out, 'utf8')) as string[] };
}

/** Nest's, and what nest-commander brings (commander alone is the front's). */
export const NEST = [
  '@nestjs/core',
  '@nestjs/common',
  'nest-commander',
  'inquirer',
  'reflect-metadata',
];
/** The core's: the database, the config's rules, the bus. */
export const CORE = ['typeorm', '@nestjs/typeorm', 'better-sqlite3', 'class-validator', 'ioredis'];
/** The HTTP app's alone. */
export const HTTP = [
  'fastify',
  '@nestjs/platform-fastify',
  'passport',
  'nestjs-pino',
  '@nestjs/terminus',
];
