import { Command, CommandRunner, Option } from 'nest-commander';
import { DataSource } from 'typeorm';
import { CLI_AUTHOR } from '../database/domain-event';
import { migrateUnderLock } from '../database/migrate';
import { BusinessesService } from '../tenancy/businesses.service';
import { PlatformAdminsService } from '../tenancy/platform-admins.service';
import { AddPlatformAdminDto, CreateBusinessDto } from '../tenancy/dto/tenancy.dto';
import { CreateTokenDto, RevokeByValueDto } from '../tokens/dto/token-requests.dto';
import { CLI_CALLER } from '../tokens/token-access';
import { TokenIssuanceService } from '../tokens/token-issuance.service';
import { TokenRevocationService } from '../tokens/token-revocation.service';
import { CliUsageError, validateDto } from './validate-dto';

/**
 * Commands print only their answer on stdout, so scripts can capture it; everything else
 * (errors, notes) goes to stderr.
 */
@Command({
  name: 'bootstrap',
  description: 'Print a new platform admin token for EMAIL, making EMAIL a platform admin first',
})
export class BootstrapCommand extends CommandRunner {
  constructor(
    private readonly dataSource: DataSource,
    private readonly admins: PlatformAdminsService,
  ) {
    super();
  }

  async run(_params: string[], options: { email?: string }): Promise<void> {
    const { email } = validateDto(AddPlatformAdminDto, { email: options.email });
    await migrateUnderLock(this.dataSource, () => Promise.resolve());
    const token = await this.admins.issuePlatformToken(CLI_CALLER, CLI_AUTHOR, email);
    process.stdout.write(`${token}\n`);
  }

  @Option({ flags: '--email <email>', description: 'the platform admin email', required: true })
  parseEmail(value: string): string {
    return value;
  }
}

@Command({
  name: 'create-business',
  description: "Create a business and print it as JSON, with its owner's first token (shown once)",
})
export class CreateBusinessCommand extends CommandRunner {
  constructor(
    private readonly dataSource: DataSource,
    private readonly businesses: BusinessesService,
  ) {
    super();
  }

  async run(_params: string[], options: { name?: string; ownerEmail?: string }): Promise<void> {
    const dto = validateDto(CreateBusinessDto, {
      name: options.name,
      owner_email: options.ownerEmail,
    });
    await migrateUnderLock(this.dataSource, () => Promise.resolve());
    const created = await this.businesses.create(CLI_CALLER, CLI_AUTHOR, dto);
    process.stdout.write(`${JSON.stringify(created, null, 2)}\n`);
  }

  @Option({ flags: '--name <name>', description: 'the business name', required: true })
  parseName(value: string): string {
    return value;
  }

  @Option({ flags: '--owner-email <email>', description: "the owner's email", required: true })
  parseOwnerEmail(value: string): string {
    return value;
  }
}

@Command({
  name: 'create-token',
  description: 'Print a new token for a member of a business (the secret alone, shown once)',
})
export class CreateTokenCommand extends CommandRunner {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tokens: TokenIssuanceService,
  ) {
    super();
  }

  async run(
    _params: string[],
    options: {
      business?: string;
      email?: string;
      name?: string;
      scopes?: string[];
      expiresInDays?: number;
    },
  ): Promise<void> {
    const { email } = validateDto(AddPlatformAdminDto, { email: options.email });
    if (!options.business || !/^[0-9a-f-]{36}$/i.test(options.business)) {
      throw new CliUsageError('Invalid options:\n  business: must be a business id (uuid)');
    }
    const dto = validateDto(CreateTokenDto, {
      name: options.name,
      scopes: options.scopes,
      expires_in_days: options.expiresInDays,
    });
    await migrateUnderLock(this.dataSource, () => Promise.resolve());
    const issued = await this.tokens.issueForMember(CLI_AUTHOR, options.business, email, dto);
    process.stdout.write(`${issued.token}\n`);
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
    return value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  }

  @Option({ flags: '--expires-in-days <n>', description: 'lifetime in days (default: none)' })
  parseExpiresInDays(value: string): number {
    return Number(value);
  }
}

@Command({
  name: 'revoke',
  description: 'Revoke a token by its value and print the revoked token as JSON',
})
export class RevokeCommand extends CommandRunner {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tokens: TokenRevocationService,
  ) {
    super();
  }

  async run(_params: string[], options: { token?: string; reason?: string }): Promise<void> {
    // A secret on the command line stays in shell history and in `ps`: `--token -`, or no
    // --token at all, reads it from standard input instead.
    const token =
      options.token === undefined || options.token === '-'
        ? await firstLineOf(process.stdin)
        : options.token;
    const dto = validateDto(RevokeByValueDto, { token, reason: options.reason });
    await migrateUnderLock(this.dataSource, () => Promise.resolve());
    const outcome = await this.tokens.revokeByValue(
      CLI_CALLER,
      CLI_AUTHOR,
      dto.token,
      dto.reason ?? null,
    );
    if (outcome.code) process.stderr.write(`${outcome.message}\n`);
    process.stdout.write(`${JSON.stringify(outcome.data, null, 2)}\n`);
  }

  @Option({
    flags: '--token <secret>',
    description: 'the token to revoke; "-" or none reads it from stdin, out of shell history',
  })
  parseToken(value: string): string {
    return value;
  }

  @Option({ flags: '--reason <text>', description: 'why (at most 500 characters)' })
  parseReason(value: string): string {
    return value;
  }
}

/** The first line of a stream (a secret piped in), without its line break; '' when empty. */
async function firstLineOf(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) {
    text += Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0].trim();
}
