import {
  businessIdOption,
  CliUsageError,
  namesSecretSource,
  noExtraArguments,
  oneTokenId,
  optionsOnly,
  SecretOptions,
  secretSource,
  tokenIdArgument,
} from './cli-argv';
import {
  BUSINESS_OPTION,
  CIDRS_FLAG,
  PAGE_OPTIONS,
  parseCidrList,
  parseCidrs,
  parseMeta,
  parseRateLimit,
  parseRefill,
  parseScopes,
  RATE_LIMIT_FLAG,
  required,
} from './cli-parsers';
import type { CommandSpec } from './cli-spec';
import { TOKENS_DISABLE, TOKENS_ENABLE, TOKENS_UPDATE } from './governance-grammar';

/**
 * The grammar of `tokens …` (and the old `create-token` and `revoke`): listing, showing,
 * creating, rotating and revoking a business's tokens. Part of the CLI's one grammar
 * (cli-grammar.ts lists it); `tokens disable|enable|update` come from governance-grammar.ts.
 */

export interface ListOptions {
  business?: string;
  identity?: string;
  name?: string;
  status?: string;
  limit?: string;
  cursor?: string;
}

export const TOKENS_LIST = {
  name: 'list',
  description:
    "List tokens as JSON ({items, next_cursor}): a business's with --business, else every " +
    'business and the platform tokens',
  options: [
    { flags: '--business <id>', description: "only this business's tokens" },
    { flags: '--identity <id>', description: 'only the tokens of this identity' },
    { flags: '--name <prefix>', description: 'only tokens whose name starts so' },
    { flags: '--status <status>', description: 'active, expired or revoked' },
    ...PAGE_OPTIONS,
  ],
  argv: (params: string[], options: ListOptions) => {
    noExtraArguments(params, 0);
    if (options.business !== undefined) businessIdOption(options.business);
  },
} satisfies CommandSpec;

export const TOKENS_SHOW = {
  name: 'show',
  arguments: '<token_id>',
  description: 'Print one token of any business as JSON (never its secret or hash)',
  argv: oneTokenId,
} satisfies CommandSpec;

export const TOKENS_ROTATE = {
  name: 'rotate',
  arguments: '<token_id>',
  description:
    'Rotate a business token: print the new secret alone (shown once); the old one is revoked ' +
    'now, or expires after --grace-period-seconds',
  options: [
    {
      flags: '--grace-period-seconds <n>',
      description: 'how long the old token keeps working, 0 to 604800 (default 0)',
      parse: Number,
    },
    {
      flags: '--expires-at <date-time>',
      description: "the new token's expiry (default: the old one's lifetime, from now)",
    },
    {
      flags: CIDRS_FLAG,
      description:
        "comma-separated networks the new token may be used from, or 'any' (default: the old token's)",
      parse: parseCidrs,
    },
    {
      flags: RATE_LIMIT_FLAG,
      description: "the new token's own limit, or 'none' (default: the old token's)",
      parse: parseRateLimit,
    },
  ],
  argv: oneTokenId,
} satisfies CommandSpec;

export const TOKENS_CREATE = {
  name: 'create',
  description: 'Print a new token for a member of a business (the secret alone, shown once)',
  options: [
    BUSINESS_OPTION,
    required('--email <email>', "the member's email"),
    required('--name <name>', 'the token name'),
    {
      flags: '--scopes <list>',
      description: 'comma-separated scopes (default: unrestricted)',
      parse: parseScopes,
    },
    {
      flags: '--expires-in-days <n>',
      description: 'lifetime in days (default: none)',
      parse: Number,
    },
    {
      flags: CIDRS_FLAG,
      description: 'comma-separated networks the token may be used from (default: anywhere)',
      parse: parseCidrs,
    },
    {
      flags: RATE_LIMIT_FLAG,
      description: 'requests per minute of its own, 1 to 1000000 (default: none)',
      parse: parseRateLimit,
    },
    {
      flags: '--uses-limit <n>',
      description: 'how many requests it may make, 1 to 1000000000 (default: no limit)',
      parse: Number,
    },
    {
      flags: '--refill <interval:amount>',
      description: "uses set back to amount each 'daily' or 'monthly' (UTC), with --uses-limit",
      parse: parseRefill,
    },
    {
      flags: '--meta <json>',
      description: 'a JSON object that travels with the token (at most 4 KiB and 4 levels)',
      parse: parseMeta,
    },
    {
      flags: '--dpop-jkt <thumbprint>',
      description:
        "bind it to a key (RFC 9449): the key's JWK SHA-256 thumbprint; each use needs a DPoP proof",
    },
    {
      flags: '--audiences <list>',
      description:
        'comma-separated http(s) URIs of the APIs it is for (RFC 8707); elsewhere it is refused (default: anywhere)',
      parse: parseCidrList,
    },
  ],
  argv: optionsOnly,
} satisfies CommandSpec;

export const CREATE_TOKEN = {
  ...TOKENS_CREATE,
  name: 'create-token',
  description: 'Old name of `tokens create`',
} satisfies CommandSpec;

/**
 * Revoke by id (an argument) or by value, the secret read as every command reads one
 * (`--token-file PATH`, `-` for stdin, stdin when nothing is given): never a secret in argv.
 */
export const TOKENS_REVOKE = {
  name: 'revoke',
  arguments: '[token_id]',
  description:
    'Revoke a token by id, or by value (the secret in --token-file, "-" or nothing for stdin, ' +
    'never in argv); print it as JSON',
  options: [
    {
      flags: '--token-file <path>',
      description: 'revoke by value: read the secret from this file ("-" for stdin)',
    },
    {
      flags: '--token <value>',
      description: 'only "-": the same as --token-file - (a secret here is refused)',
    },
    { flags: '--reason <text>', description: 'why (at most 500 characters)' },
  ],
  argv: (params: string[], options: SecretOptions) => {
    noExtraArguments(params, 1);
    const source = secretSource(options);
    const tokenId = params.length === 1 ? tokenIdArgument(params[0]) : undefined;
    if (tokenId !== undefined && namesSecretSource(options)) {
      throw new CliUsageError('Give a token id or --token-file, not both');
    }
    return { tokenId, source };
  },
} satisfies CommandSpec;

export const REVOKE = {
  ...TOKENS_REVOKE,
  name: 'revoke',
  description: 'Old name of `tokens revoke`',
} satisfies CommandSpec;

/**
 * Keys brought from another service, by hash: the same body as POST /api/v1/tokens/import, read
 * from a file (it holds hashes, never keys), imported all or none and audited with origin cli.
 */
export const TOKENS_IMPORT = {
  name: 'import',
  description:
    'Import keys from another service by SHA-256 ({"keys": [...]} in --file, as the API takes ' +
    'it), all or none; print the tokens made as JSON',
  options: [BUSINESS_OPTION, required('--file <path>', 'the JSON body (at most 1 MiB)')],
  argv: optionsOnly,
} satisfies CommandSpec;

export const TOKENS = {
  name: 'tokens',
  description: 'List, show, create, rotate, update, disable, enable, revoke and import tokens',
  subcommands: [
    TOKENS_LIST,
    TOKENS_SHOW,
    TOKENS_CREATE,
    TOKENS_ROTATE,
    TOKENS_UPDATE,
    TOKENS_DISABLE,
    TOKENS_ENABLE,
    TOKENS_REVOKE,
    TOKENS_IMPORT,
  ],
} satisfies CommandSpec;
