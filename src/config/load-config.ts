import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync, ValidationError } from 'class-validator';
import { AppConfig, CONFIG_SECTIONS } from './app-config';

/**
 * Reading the environment into `AppConfig`: which variables are read, which are refused as
 * renamed, and one message per bad variable. The sections `AppConfig` is composed of
 * (`CONFIG_SECTIONS`) declare the settings; nothing else reads `process.env`.
 */

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigValidationError';
  }
}

/** A part of the configuration: a class whose instance holds its defaults. */
type Part = new () => object;

/** What `loadConfig` validates one at a time: each section. */
const PARTS: readonly Part[] = CONFIG_SECTIONS;

/**
 * The variables a part declares: those with a default, and those with a rule but no default
 * (an optional URL, a key file), which an instance does not hold until one is given.
 */
function variablesOf(part: Part): string[] {
  const ruled = getMetadataStorage()
    .getTargetValidationMetadatas(part, '', true, false)
    .map((rule) => rule.propertyName);
  const defaults = Object.keys(new part());
  return [...new Set([...defaults, ...ruled])];
}

/** Each part and the variables it declares. */
export const CONFIG_VARIABLES: ReadonlyMap<Part, readonly string[]> = new Map(
  PARTS.map((part) => [part, variablesOf(part)]),
);

const KNOWN_KEYS = new Set([...CONFIG_VARIABLES.values()].flat());

/**
 * Variables that no longer exist, and what replaced them: refused, so no setting silently
 * lapses.
 */
const RENAMED: Record<string, string> = {
  RATE_LIMIT_TOKEN_PER_MINUTE:
    'renamed RATE_LIMIT_IDENTITY_PER_MINUTE, which counts all tokens of one identity together',
  BEARER_GUARD:
    'removed: the global bearer check is always BearerGuard; for passport on a route of your ' +
    'own, use @Public() with @UseGuards(PassportBearerGuard)',
};

/**
 * Builds the config from an environment map and fails with every bad variable named.
 * An empty string counts as unset, as shells and compose files often pass one.
 */
export function loadConfig(env: Record<string, string | undefined>): AppConfig {
  const renamed = Object.entries(RENAMED)
    .filter(([old]) => env[old] !== undefined && env[old] !== '')
    .map(([old, why]) => `${old}: ${why}`);
  if (renamed.length > 0) throw new ConfigValidationError(renamed);
  const raw: Record<string, string> = {};
  for (const key of KNOWN_KEYS) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  // Each part is read and checked alone; a rule that needs another part's variable (replicas need
  // DATABASE_URL) finds it as the environment gave it, since every part is read from all of it.
  const config = new AppConfig();
  const problems: string[] = [];
  for (const [part, variables] of CONFIG_VARIABLES) {
    const read = plainToInstance(part, raw, { exposeDefaultValues: true });
    const errors = validateSync(read, { forbidUnknownValues: false });
    problems.push(...errors.map((e) => `${e.property}: ${firstMessage(e)}`));
    for (const name of variables) {
      (config as unknown as Record<string, unknown>)[name] = (read as Record<string, unknown>)[
        name
      ];
    }
  }
  if (problems.length > 0) throw new ConfigValidationError(problems);
  return config;
}

/** Type checks: when one fails, the value is of the wrong type, and that is all there is to say. */
const TYPE_CHECKS = ['isInt', 'isBoolean', 'isString'];

/**
 * One message per variable: the type's, when the value is of the wrong type (`PORT=abc` must be
 * an integer, not "at most 65535"), else the first rule it breaks.
 */
function firstMessage(error: ValidationError): string {
  const constraints = error.constraints ?? {};
  const type = TYPE_CHECKS.find((name) => name in constraints);
  return constraints[type ?? Object.keys(constraints)[0]] ?? 'is invalid';
}
