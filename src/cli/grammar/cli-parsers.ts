import { CliUsageError } from './cli-argv';
import type { OptionSpec } from './cli-spec';

/**
 * Commander's parsers of option values, shared by the grammar's files: each turns the text into
 * what the DTO takes, and leaves judging it to the DTO (the API's rules), but for JSON, which
 * must parse first. Plain functions: nothing of the app loads.
 */

export const parseScopes = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

/** A comma-separated list of networks, each trimmed. */
export const parseCidrList = (value: string): string[] => value.split(',').map((c) => c.trim());

/**
 * `--allowed-cidrs 10.0.0.0/8,2001:db8::/32`, and `any` (anywhere) for a rotation that frees; kept
 * as the word until the DTO is built, since commander turns a parser's null into ''.
 */
export const parseCidrs = (value: string): string[] | 'any' =>
  value.trim() === 'any' ? 'any' : parseCidrList(value);

/** `--rate-limit-per-minute 60`, and `none` (no limit of its own) for a rotation that frees. */
export const parseRateLimit = (value: string): number | 'none' =>
  value.trim() === 'none' ? 'none' : Number(value);

/** `--refill daily:1000`: the interval and the amount, left for the DTO to judge. */
export const parseRefill = (value: string): { interval: string; amount: number } => {
  const [interval, amount] = value.split(':');
  return { interval: interval.trim(), amount: Number(amount) };
};

/** `--meta '{"plan":"pro"}'`, boxed so that JSON's null (clear it) survives commander. */
export interface MetaOption {
  json: unknown;
}

/** Malformed JSON is a usage error here; its shape, size and depth are the DTO's to judge. */
/** A flag's JSON value, parsed; the validation of its shape is the DTO's. */
export const jsonOption =
  (name: string) =>
  (value: string): MetaOption => {
    try {
      return { json: JSON.parse(value) as unknown };
    } catch {
      throw new CliUsageError(`Invalid options:\n  ${name}: must be a JSON object`);
    }
  };

export const parseMeta = jsonOption('meta');

export const CIDRS_FLAG = '--allowed-cidrs <list>';
export const RATE_LIMIT_FLAG = '--rate-limit-per-minute <n>';

export const required = (flags: string, description: string): OptionSpec => ({
  flags,
  description,
  required: true,
});

export const BUSINESS_OPTION = required('--business <id>', 'the business id');

/** A list's page, as `?limit=` and `?cursor=` over HTTP. */
export const PAGE_OPTIONS: readonly OptionSpec[] = [
  { flags: '--limit <n>', description: 'page size, 1 to 200 (default 50)' },
  { flags: '--cursor <cursor>', description: 'the next_cursor of the previous page' },
];

export interface ConstraintOptions {
  allowedCidrs?: string[] | 'any';
  rateLimitPerMinute?: number | 'none';
}

/** The constraint flags as the create, rotate and update bodies spell them. */
export const constraintFields = (options: ConstraintOptions) => ({
  allowed_cidrs: options.allowedCidrs === 'any' ? null : options.allowedCidrs,
  rate_limit_per_minute: options.rateLimitPerMinute === 'none' ? null : options.rateLimitPerMinute,
});
