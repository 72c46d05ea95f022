import { Injectable } from '@nestjs/common';
import { Outcome } from '../../common/http/envelope';
import { CLI_AUTHOR } from '../../database/units/domain-event';
import { DisableTokenDto } from '../../tokens/dto/token-pause.dto';
import { UpdateTokenDto } from '../../tokens/dto/update-token.dto';
import { CLI_CALLER } from '../../tokens/policy/policy-decision';
import type { TokenActing } from '../../tokens/policy/token-access';
import { CliCommand, CliRunner } from '../nest/cli-command';
import { note, printJson } from '../cli-io';
import { constraintFields } from '../grammar/cli-parsers';
import { CoreContext } from '../nest/core-context';
import {
  TOKENS_DISABLE,
  TOKENS_ENABLE,
  TOKENS_UPDATE,
  UpdateOptions,
} from '../grammar/governance-grammar';
import { validateDto } from '../grammar/validate-dto';

/**
 * `tokens disable|enable|update`: the services the routes run (TokenPauseService,
 * TokenUpdateService), with the operator acting in the business named by --business
 * (`TokenAccess.operatorIn`), so the token policy's cli row decides and every change is
 * audited as the route's is, with origin "cli".
 */
@Injectable()
abstract class TokenEditRunner extends CliRunner {
  constructor(protected readonly core: CoreContext) {
    super();
  }

  /** The operator in `businessId`, for the services that act on one business's tokens. */
  protected async operatorIn(businessId: string): Promise<TokenActing> {
    const { TokenAccess } = await import('../../tokens/policy/token-access');
    return (await this.core.get(TokenAccess)).operatorIn(CLI_CALLER, CLI_AUTHOR, businessId);
  }

  protected async pause() {
    const { TokenPauseService } = await import('../../tokens/lifecycle/token-pause.service');
    return this.core.get(TokenPauseService);
  }
}

/** The view on stdout; a note such as ALREADY_DISABLED on stderr. */
function printOutcome(outcome: Outcome<unknown>): void {
  if (outcome.code) note(outcome.message ?? outcome.code);
  printJson(outcome.data);
}

@CliCommand(TOKENS_DISABLE)
export class TokensDisableCommand extends TokenEditRunner {
  async run(
    params: string[],
    options: { business?: string; reason?: string; includeChildren?: boolean },
  ): Promise<void> {
    const { tokenId, businessId } = TOKENS_DISABLE.argv(params, options);
    const { reason } = validateDto(DisableTokenDto, { reason: options.reason });
    const acting = await this.operatorIn(businessId);
    const children = options.includeChildren === true;
    printOutcome(
      await (await this.pause()).disableAs(acting, tokenId, reason ?? null, { children }),
    );
  }
}

@CliCommand(TOKENS_ENABLE)
export class TokensEnableCommand extends TokenEditRunner {
  async run(params: string[], options: { business?: string }): Promise<void> {
    const { tokenId, businessId } = TOKENS_ENABLE.argv(params, options);
    const acting = await this.operatorIn(businessId);
    printOutcome(await (await this.pause()).enableAs(acting, tokenId));
  }
}

@CliCommand(TOKENS_UPDATE)
export class TokensUpdateCommand extends TokenEditRunner {
  async run(params: string[], options: UpdateOptions): Promise<void> {
    const { tokenId, businessId } = TOKENS_UPDATE.argv(params, options);
    const dto = validateDto(UpdateTokenDto, {
      name: options.name,
      scopes: options.scopes,
      expires_at: options.expiresAt,
      ...constraintFields(options),
      uses_limit: options.usesLimit,
      meta: options.meta?.json,
    });
    const acting = await this.operatorIn(businessId);
    const { TokenUpdateService } = await import('../../tokens/lifecycle/token-update.service');
    printJson(await (await this.core.get(TokenUpdateService)).updateAs(acting, tokenId, dto));
  }
}

export const TOKEN_EDIT_COMMANDS = [TokensDisableCommand, TokensEnableCommand, TokensUpdateCommand];
