import { Injectable } from '@nestjs/common';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { Outcome } from '../common/envelope';
import { CLI_AUTHOR } from '../database/domain-event';
import { RevokeByValueDto, RevokeTokenDto } from '../tokens/dto/token-requests.dto';
import { CLI_CALLER } from '../tokens/policy-decision';
import { TokenRevocationService } from '../tokens/token-revocation.service';
import {
  namesSecretSource,
  noExtraArguments,
  note,
  printJson,
  readSecret,
  SecretOptions,
  secretSource,
  tokenIdArgument,
} from './cli-io';
import { CoreContext } from './core-context';
import { CliUsageError, validateDto } from './validate-dto';

/**
 * Revoke by id (an argument) or by value, the secret read as every command reads one
 * (`--token-file PATH`, `-` for stdin, stdin when nothing is given): never a secret in argv.
 */
@Injectable()
export abstract class RevokeRunner extends CommandRunner {
  constructor(private readonly core: CoreContext) {
    super();
  }

  async run(params: string[], options: SecretOptions & { reason?: string }): Promise<void> {
    noExtraArguments(params, 1);
    const source = secretSource(options);
    const tokenId = params.length === 1 ? tokenIdArgument(params[0]) : undefined;
    if (tokenId !== undefined && namesSecretSource(options)) {
      throw new CliUsageError('Give a token id or --token-file, not both');
    }
    const { reason } = validateDto(RevokeTokenDto, { reason: options.reason });
    let outcome: Outcome<unknown>;
    if (tokenId !== undefined) {
      const revocation = await this.core.get(TokenRevocationService);
      outcome = await revocation.revokeByIdAnyBusiness(
        CLI_CALLER,
        CLI_AUTHOR,
        tokenId,
        reason ?? null,
      );
    } else {
      const secret = await readSecret(source);
      const dto = validateDto(RevokeByValueDto, { token: secret, reason });
      const revocation = await this.core.get(TokenRevocationService);
      outcome = await revocation.revokeByValue(
        CLI_CALLER,
        CLI_AUTHOR,
        dto.token,
        dto.reason ?? null,
      );
    }
    if (outcome.code) note(outcome.message ?? outcome.code);
    printJson(outcome.data);
  }

  @Option({
    flags: '--token-file <path>',
    description: 'revoke by value: read the secret from this file ("-" for stdin)',
  })
  parseTokenFile(value: string): string {
    return value;
  }

  @Option({
    flags: '--token <value>',
    description: 'only "-": the same as --token-file - (a secret here is refused)',
  })
  parseToken(value: string): string {
    return value;
  }

  @Option({ flags: '--reason <text>', description: 'why (at most 500 characters)' })
  parseReason(value: string): string {
    return value;
  }
}

const REVOKE_DESCRIPTION =
  'Revoke a token by id, or by value (the secret in --token-file, "-" or nothing for stdin, ' +
  'never in argv); print it as JSON';

@SubCommand({ name: 'revoke', arguments: '[token_id]', description: REVOKE_DESCRIPTION })
export class TokensRevokeCommand extends RevokeRunner {}

@Command({ name: 'revoke', arguments: '[token_id]', description: 'Old name of `tokens revoke`' })
export class RevokeCommand extends RevokeRunner {}
