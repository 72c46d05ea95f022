import { join } from 'node:path';
import ts from 'typescript';

/**
 * TypeScript as a reader pastes it from the docs: imports, then top-level code that awaits. It
 * becomes one module, the imports on top and the rest in `export async function run()`, with
 * `givens` (the names the snippet uses but does not declare, such as a token it was handed)
 * declared as strings. `path` is where the module would sit, so its relative imports resolve
 * as the snippet's reader's would (from the repository's root).
 */
export function snippetModule(code: string, givens: string[]): string {
  const lines = code.split('\n');
  const imports = lines.filter((l) => /^import\s/.test(l));
  const body = lines.filter((l) => !/^import\s/.test(l));
  return [
    ...imports,
    ...givens.map((name) => `declare const ${name}: string;`),
    'export async function run(): Promise<void> {',
    ...body.map((l) => (l ? `  ${l}` : l)),
    '}',
  ].join('\n');
}

/**
 * The type errors of each module of `modules` (source by path; the paths need not exist), under
 * the repository's tsconfig.json: one program for them all, as the type check is most of the cost.
 */
export function typeErrors(root: string, modules: Map<string, string>): Map<string, string[]> {
  const config = ts.readConfigFile(join(root, 'tsconfig.json'), (p) => ts.sys.readFile(p));
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const compilerOptions = { ...options, noEmit: true, incremental: false, types: ['node'] };
  const host = ts.createCompilerHost(compilerOptions);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = (p) => modules.has(p) || ts.sys.fileExists(p);
  host.readFile = (p) => modules.get(p) ?? readFile(p);
  host.getSourceFile = (p, language, onError) => {
    const source = modules.get(p);
    return source !== undefined
      ? ts.createSourceFile(p, source, language)
      : getSourceFile(p, language, onError);
  };
  const program = ts.createProgram([...modules.keys()], compilerOptions, host);
  const errors = new Map([...modules.keys()].map((p): [string, string[]] => [p, []]));
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    const mine = d.file && errors.get(d.file.fileName);
    if (mine && d.start !== undefined) {
      mine.push(`line ${d.file!.getLineAndCharacterOfPosition(d.start).line + 1}: ${text}`);
    } else {
      for (const list of errors.values()) list.push(text);
    }
  }
  return errors;
}

/**
 * Runs the module `source` (from `snippetModule`) at `path`: compiled to CommonJS, its imports
 * loaded with `load` (relative ones from the module's folder), `givens` bound to their values,
 * its `console` the one given, and its `process.env` this process's with `env` over it (the
 * variables the reader exported in their shell, such as `BASE`).
 */
export async function runSnippet(
  path: string,
  source: string,
  givens: Record<string, string>,
  load: (id: string) => unknown,
  console: Pick<Console, 'log'>,
  env: Record<string, string> = {},
): Promise<void> {
  const js = ts.transpileModule(source, {
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
    },
  }).outputText;
  const dir = join(path, '..');
  const require = (id: string) => load(id.startsWith('.') ? join(dir, id) : id);
  const module = { exports: {} as { run?: () => Promise<void> } };
  const names = Object.keys(givens);
  const readerEnv = { ...process.env, ...env };
  const proc = new Proxy(process, {
    get: (target, key) => (key === 'env' ? readerEnv : Reflect.get(target, key)),
  });
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const compiled = new Function('exports', 'require', 'module', 'console', 'process', ...names, js);
  compiled(module.exports, require, module, console, proc, ...names.map((n) => givens[n]));
  await module.exports.run!();
}
