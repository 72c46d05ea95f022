import { readFile, stat } from 'node:fs/promises';
import { Injectable } from '@nestjs/common';
import { CLI_AUTHOR } from '../../database/units/domain-event';
import { AddPlatformAdminDto } from '../../workflows/dto/workflows.dto';
import {
  CreateTokenDto,
  ListPlatformTokensQueryDto,
  RotateTokenDto,
} from '../../tokens/dto/token-requests.dto';
import { CLI_CALLER } from '../../tokens/policy/policy-decision';
import { CliCommand, CliRunner } from '../nest/cli-command';
import { runGroup } from '../cli-front';
import { ConstraintOptions, constraintFields, MetaOption } from '../grammar/cli-parsers';
import {
  CREATE_TOKEN,
  ListOptions,
  TOKENS,
  TOKENS_CREATE,
  TOKENS_LIST,
  TOKENS_ROTATE,
  TOKENS_SHOW,
  TOKENS_IMPORT,
} from '../grammar/token-grammar';
import { ImportTokensDto } from '../../tokens/dto/token-import.dto';
import { businessIdOption, CliUsageError } from '../grammar/cli-argv';
import { printJson, printLine } from '../cli-io';
import { TokensRevokeCommand } from './revoke.commands';
import { TOKEN_EDIT_COMMANDS } from './token-edit.commands';
import { CoreContext } from '../nest/core-context';
import { validateDto } from '../grammar/validate-dto';

@CliCommand(TOKENS_LIST)
export class TokensListCommand extends CliRunner {
  constructor(private readonly core: CoreContext) {
    super();
  }

  async run(params: string[], options: ListOptions): Promise<void> {
    TOKENS_LIST.argv(params, options);
    const query = validateDto(ListPlatformTokensQueryDto, {
      business_id: options.business,
      identity_id: options.identity,
      name: options.name,
      status: options.status,
      limit: options.limit,
      cursor: options.cursor,
    });
    const { TokenQueriesService } = await import('../../tokens/lifecycle/token-queries.service');
    printJson(await (await this.core.get(TokenQueriesService)).listAnyBusiness(null, query));
  }
}

@CliCommand(TOKENS_SHOW)
export class TokensShowCommand extends CliRunner {
  constructor(private readonly core: CoreContext) {
    super();
  }

  async run(params: string[]): Promise<void> {
    const tokenId = TOKENS_SHOW.argv(params);
    const { TokenQueriesService } = await import('../../tokens/lifecycle/token-queries.service');
    printJson(await (await this.core.get(TokenQueriesService)).getAnyBusiness(tokenId));
  }
}

@CliCommand(TOKENS_ROTATE)
export class TokensRotateCommand extends CliRunner {
  constructor(private readonly core: CoreContext) {
    super();
  }

  async run(
    params: string[],
    options: ConstraintOptions & { gracePeriodSeconds?: number; expiresAt?: string },
  ): Promise<void> {
    const tokenId = TOKENS_ROTATE.argv(params);
    const dto = validateDto(RotateTokenDto, {
      grace_period_seconds: options.gracePeriodSeconds,
      expires_at: options.expiresAt,
      ...constraintFields(options),
    });
    const { TokenRotationService } =
      await import('../../tokens/lifecycle/issuance/token-rotation.service');
    const rotation = await this.core.get(TokenRotationService);
    const rotated = await rotation.rotateAnyBusiness(CLI_CALLER, CLI_AUTHOR, tokenId, dto);
    printLine(rotated.token);
  }
}

/** A token for a member of a business, by email: the secret alone on stdout. */
@Injectable()
abstract class CreateTokenRunner extends CliRunner {
  constructor(private readonly core: CoreContext) {
    super();
  }

  async run(
    params: string[],
    options: ConstraintOptions & {
      business?: string;
      email?: string;
      name?: string;
      scopes?: string[];
      expiresInDays?: number;
      usesLimit?: number;
      refill?: object;
      meta?: MetaOption;
      dpopJkt?: string;
      audiences?: string[];
    },
  ): Promise<void> {
    TOKENS_CREATE.argv(params);
    const { email } = validateDto(AddPlatformAdminDto, { email: options.email });
    const businessId = businessIdOption(options.business);
    const dto = validateDto(CreateTokenDto, {
      name: options.name,
      scopes: options.scopes,
      expires_in_days: options.expiresInDays,
      ...constraintFields(options),
      uses_limit: options.usesLimit,
      refill: options.refill,
      meta: options.meta?.json,
      dpop_jkt: options.dpopJkt,
      audiences: options.audiences,
    });
    const { TokenIssuanceService } =
      await import('../../tokens/lifecycle/issuance/token-issuance.service');
    const issuance = await this.core.get(TokenIssuanceService);
    const issued = await issuance.issueForMember(CLI_AUTHOR, businessId, email, dto);
    printLine(issued.token);
  }
}

@CliCommand(TOKENS_CREATE)
export class TokensCreateCommand extends CreateTokenRunner {}

@CliCommand(CREATE_TOKEN)
export class CreateTokenCommand extends CreateTokenRunner {}

/** Past this, a file is no import body (100 keys with their meta fill well under half). */
const MAX_IMPORT_BYTES = 1 << 20;

/** Keys from another service, by hash, from a JSON file: the tokens made, as JSON. */
@CliCommand(TOKENS_IMPORT)
export class TokensImportCommand extends CliRunner {
  constructor(private readonly core: CoreContext) {
    super();
  }

  async run(params: string[], options: { business?: string; file?: string }): Promise<void> {
    TOKENS_IMPORT.argv(params);
    const businessId = businessIdOption(options.business);
    const path = options.file ?? '';
    let body: unknown;
    try {
      if ((await stat(path)).size > MAX_IMPORT_BYTES) throw new Error('too large');
      body = JSON.parse(await readFile(path, 'utf8'));
    } catch {
      throw new CliUsageError(`--file ${path}: not a readable JSON file of at most 1 MiB`, 2);
    }
    const plain = typeof body === 'object' && body !== null ? body : {};
    const dto = validateDto(ImportTokensDto, plain as Record<string, unknown>);
    const { TokenImportService } =
      await import('../../tokens/lifecycle/issuance/token-import.service');
    const imports = await this.core.get(TokenImportService);
    printJson(await imports.importAsOperator(CLI_AUTHOR, businessId, dto.keys));
  }
}

@CliCommand(TOKENS)
export class TokensCommand extends CliRunner {
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
  ...TOKEN_EDIT_COMMANDS,
  TokensRevokeCommand,
  TokensImportCommand,
];
