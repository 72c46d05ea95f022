import { Injectable } from '@nestjs/common';
import { Outcome } from '../../common/http/envelope';
import { CLI_AUTHOR } from '../../database/units/domain-event';
import { RevokeByValueDto, RevokeTokenDto } from '../../tokens/dto/token-requests.dto';
import { CLI_CALLER } from '../../tokens/policy/policy-decision';
import { SecretOptions } from '../grammar/cli-argv';
import { CliCommand, CliRunner } from '../nest/cli-command';
import { REVOKE, TOKENS_REVOKE } from '../grammar/token-grammar';
import { note, printJson, readSecret } from '../cli-io';
import { CoreContext } from '../nest/core-context';
import { validateDto } from '../grammar/validate-dto';

/**
 * Revoke by id (an argument) or by value, the secret read as every command reads one
 * (`--token-file PATH`, `-` for stdin, stdin when nothing is given): never a secret in argv.
 */
@Injectable()
abstract class RevokeRunner extends CliRunner {
  constructor(private readonly core: CoreContext) {
    super();
  }

  async run(params: string[], options: SecretOptions & { reason?: string }): Promise<void> {
    const { tokenId, source } = TOKENS_REVOKE.argv(params, options);
    const { reason } = validateDto(RevokeTokenDto, { reason: options.reason });
    let outcome: Outcome<unknown>;
    if (tokenId !== undefined) {
      const revocation = await this.revocation();
      outcome = await revocation.revokeByIdAnyBusiness(
        CLI_CALLER,
        CLI_AUTHOR,
        tokenId,
        reason ?? null,
      );
    } else {
      const secret = await readSecret(source);
      const dto = validateDto(RevokeByValueDto, { token: secret, reason });
      const revocation = await this.revocation();
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

  /** Loaded once the secret is read: a source with no token in it loads nothing of the core. */
  private async revocation() {
    const { TokenRevocationService } =
      await import('../../tokens/lifecycle/revocation/token-revocation.service');
    return this.core.get(TokenRevocationService);
  }
}

@CliCommand(TOKENS_REVOKE)
export class TokensRevokeCommand extends RevokeRunner {}

@CliCommand(REVOKE)
export class RevokeCommand extends RevokeRunner {}
