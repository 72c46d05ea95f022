import { Injectable } from '@nestjs/common';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { CLI_AUTHOR } from '../database/domain-event';
import { AddPlatformAdminDto } from '../workflows/dto/workflows.dto';
import {
  CreateTokenDto,
  ListPlatformTokensQueryDto,
  RotateTokenDto,
} from '../tokens/dto/token-requests.dto';
import { CLI_CALLER } from '../tokens/policy-decision';
import { TokenIssuanceService } from '../tokens/token-issuance.service';
import { TokenRotationService } from '../tokens/token-rotation.service';
import { TokenQueriesService } from '../tokens/token-queries.service';
import {
  businessIdOption,
  noExtraArguments,
  printJson,
  printLine,
  tokenIdArgument,
} from './cli-io';
import { runGroup } from './command-group';
import { TokensRevokeCommand } from './revoke.commands';
import { CoreContext } from './core-context';
import { validateDto } from './validate-dto';

const parseScopes = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

/**
 * `--allowed-cidrs 10.0.0.0/8,2001:db8::/32`, and `any` (anywhere) for a rotation that frees; kept
 * as the word until the DTO is built, since commander turns a parser's null into ''.
 */
const parseCidrs = (value: string): string[] | 'any' =>
  value.trim() === 'any' ? 'any' : value.split(',').map((c) => c.trim());

/** `--rate-limit-per-minute 60`, and `none` (no limit of its own) for a rotation that frees. */
const parseRateLimit = (value: string): number | 'none' =>
  value.trim() === 'none' ? 'none' : Number(value);

/** The constraint flags as create and rotate bodies spell them. */
const constraintFields = (options: {
  allowedCidrs?: string[] | 'any';
  rateLimitPerMinute?: number | 'none';
}) => ({
  allowed_cidrs: options.allowedCidrs === 'any' ? null : options.allowedCidrs,
  rate_limit_per_minute: options.rateLimitPerMinute === 'none' ? null : options.rateLimitPerMinute,
});

const CIDRS_FLAG = '--allowed-cidrs <list>';
const RATE_LIMIT_FLAG = '--rate-limit-per-minute <n>';

@SubCommand({
  name: 'list',
  description:
    "List tokens as JSON ({items, next_cursor}): a business's with --business, else every " +
    'business and the platform tokens',
})
export class TokensListCommand extends CommandRunner {
  constructor(private readonly core: CoreContext) {
    super();
  }

  async run(
    params: string[],
    options: {
      business?: string;
      identity?: string;
      name?: string;
      status?: string;
      limit?: string;
      cursor?: string;
    },
  ): Promise<void> {
    noExtraArguments(params, 0);
    if (options.business !== undefined) businessIdOption(options.business);
    const query = validateDto(ListPlatformTokensQueryDto, {
      business_id: options.business,
      identity_id: options.identity,
      name: options.name,
      status: options.status,
      limit: options.limit,
      cursor: options.cursor,
    });
    printJson(await (await this.core.get(TokenQueriesService)).listAnyBusiness(query));
  }

  @Option({ flags: '--business <id>', description: "only this business's tokens" })
  parseBusiness(value: string): string {
    return value;
  }

  @Option({ flags: '--identity <id>', description: 'only the tokens of this identity' })
  parseIdentity(value: string): string {
    return value;
  }

  @Option({ flags: '--name <prefix>', description: 'only tokens whose name starts so' })
  parseName(value: string): string {
    return value;
  }

  @Option({ flags: '--status <status>', description: 'active, expired or revoked' })
  parseStatus(value: string): string {
    return value;
  }

  @Option({ flags: '--limit <n>', description: 'page size, 1 to 200 (default 50)' })
  parseLimit(value: string): string {
    return value;
  }

  @Option({ flags: '--cursor <cursor>', description: 'the next_cursor of the previous page' })
  parseCursor(value: string): string {
    return value;
  }
}

@SubCommand({
  name: 'show',
  arguments: '<token_id>',
  description: 'Print one token of any business as JSON (never its secret or hash)',
})
export class TokensShowCommand extends CommandRunner {
  constructor(private readonly core: CoreContext) {
    super();
  }

  async run(params: string[]): Promise<void> {
    noExtraArguments(params, 1);
    const tokenId = tokenIdArgument(params[0]);
    printJson(await (await this.core.get(TokenQueriesService)).getAnyBusiness(tokenId));
  }
}

@SubCommand({
  name: 'rotate',
  arguments: '<token_id>',
  description:
    'Rotate a business token: print the new secret alone (shown once); the old one is revoked ' +
    'now, or expires after --grace-period-seconds',
})
export class TokensRotateCommand extends CommandRunner {
  constructor(private readonly core: CoreContext) {
    super();
  }

  async run(
    params: string[],
    options: {
      gracePeriodSeconds?: number;
      expiresAt?: string;
      allowedCidrs?: string[] | 'any';
      rateLimitPerMinute?: number | 'none';
    },
  ): Promise<void> {
    noExtraArguments(params, 1);
    const tokenId = tokenIdArgument(params[0]);
    const dto = validateDto(RotateTokenDto, {
      grace_period_seconds: options.gracePeriodSeconds,
      expires_at: options.expiresAt,
      ...constraintFields(options),
    });
    const rotation = await this.core.get(TokenRotationService);
    const rotated = await rotation.rotateAnyBusiness(CLI_CALLER, CLI_AUTHOR, tokenId, dto);
    printLine(rotated.token);
  }

  @Option({
    flags: '--grace-period-seconds <n>',
    description: 'how long the old token keeps working, 0 to 604800 (default 0)',
  })
  parseGrace(value: string): number {
    return Number(value);
  }

  @Option({
    flags: '--expires-at <date-time>',
    description: "the new token's expiry (default: the old one's lifetime, from now)",
  })
  parseExpiresAt(value: string): string {
    return value;
  }

  @Option({
    flags: CIDRS_FLAG,
    description:
      "comma-separated networks the new token may be used from, or 'any' (default: the old token's)",
  })
  parseCidrs(value: string): string[] | 'any' {
    return parseCidrs(value);
  }

  @Option({
    flags: RATE_LIMIT_FLAG,
    description: "the new token's own limit, or 'none' (default: the old token's)",
  })
  parseRateLimit(value: string): number | 'none' {
    return parseRateLimit(value);
  }
}

/** A token for a member of a business, by email: the secret alone on stdout. */
@Injectable()
export abstract class CreateTokenRunner extends CommandRunner {
  constructor(private readonly core: CoreContext) {
    super();
  }

  async run(
    params: string[],
    options: {
      business?: string;
      email?: string;
      name?: string;
      scopes?: string[];
      expiresInDays?: number;
      allowedCidrs?: string[] | 'any';
      rateLimitPerMinute?: number | 'none';
    },
  ): Promise<void> {
    noExtraArguments(params, 0);
    const { email } = validateDto(AddPlatformAdminDto, { email: options.email });
    const businessId = businessIdOption(options.business);
    const dto = validateDto(CreateTokenDto, {
      name: options.name,
      scopes: options.scopes,
      expires_in_days: options.expiresInDays,
      ...constraintFields(options),
    });
    const issuance = await this.core.get(TokenIssuanceService);
    const issued = await issuance.issueForMember(CLI_AUTHOR, businessId, email, dto);
    printLine(issued.token);
  }

  @Option({ flags: '--business <id>', description: 'the business id', required: true })
  parseBusiness(value: string): string {
    return value;
  }

  @Option({ flags: '--email <email>', description: "the member's email", required: true })
  parseEmail(value: string): string {
    return value;
  }

  @Option({ flags: '--name <name>', description: 'the token name', required: true })
  parseName(value: string): string {
    return value;
  }

  @Option({
    flags: '--scopes <list>',
    description: 'comma-separated scopes (default: unrestricted)',
  })
  parseScopes(value: string): string[] {
    return parseScopes(value);
  }

  @Option({ flags: '--expires-in-days <n>', description: 'lifetime in days (default: none)' })
  parseExpiresInDays(value: string): number {
    return Number(value);
  }

  @Option({
    flags: CIDRS_FLAG,
    description: 'comma-separated networks the token may be used from (default: anywhere)',
  })
  parseCidrs(value: string): string[] | 'any' {
    return parseCidrs(value);
  }

  @Option({
    flags: RATE_LIMIT_FLAG,
    description: 'requests per minute of its own, 1 to 1000000 (default: none)',
  })
  parseRateLimit(value: string): number | 'none' {
    return parseRateLimit(value);
  }
}

@SubCommand({
  name: 'create',
  description: 'Print a new token for a member of a business (the secret alone, shown once)',
})
export class TokensCreateCommand extends CreateTokenRunner {}

@Command({ name: 'create-token', description: 'Old name of `tokens create`' })
export class CreateTokenCommand extends CreateTokenRunner {}

@Command({
  name: 'tokens',
  description: 'List, show, create, rotate and revoke tokens',
  subCommands: [
    TokensListCommand,
    TokensShowCommand,
    TokensCreateCommand,
    TokensRotateCommand,
    TokensRevokeCommand,
  ],
})
export class TokensCommand extends CommandRunner {
  run(params: string[]): Promise<void> {
    runGroup(this.command, params);
  }
}

export const TOKEN_COMMANDS = [
  TokensCommand,
  TokensListCommand,
  TokensShowCommand,
  TokensCreateCommand,
  TokensRotateCommand,
  TokensRevokeCommand,
];
