import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { AppConfig } from './app-config';
import { REDIS_TOPOLOGY_KEYS } from './sections/redis-topology-config';

/**
 * Reading the environment into `AppConfig`: which variables are read, which are refused as
 * renamed, and one message per bad variable. `AppConfig` and the classes it extends declare the
 * settings; nothing else reads `process.env`.
 */

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigValidationError';
  }
}

const KNOWN_KEYS = new Set(
  Object.keys(new AppConfig()).concat(
    'DATABASE_URL',
    'DATABASE_DIRECT_URL',
    'DATABASE_REPLICA_URLS',
    ...REDIS_TOPOLOGY_KEYS,
    'METRICS_TOKEN',
    'KEYS_DIR',
    'AUDIT_SIGNING_KEY',
    'AUDIT_SIGNING_KEY_FILE',
    'WEBHOOK_SECRETS_KEY',
    'WEBHOOK_SECRETS_KEY_FILE',
    'JWT_SIGNING_KEYS',
    'JWT_SIGNING_KEYS_FILE',
    'GITHUB_SECRET_SCANNING_KEYS_FILE',
    'VERIFY_TOKEN_HEADER',
    'VERIFY_GATEWAY_SECRET',
  ),
);

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
  const config = plainToInstance(AppConfig, raw, { exposeDefaultValues: true });
  const errors = validateSync(config, { forbidUnknownValues: false });
  if (errors.length > 0) {
    throw new ConfigValidationError(errors.map((e) => `${e.property}: ${firstMessage(e)}`));
  }
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
