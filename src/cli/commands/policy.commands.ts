import { Injectable } from '@nestjs/common';
import { PageQueryDto } from '../../common/validation/pagination';
import { CLI_AUTHOR } from '../../database/units/domain-event';
import { PutBusinessPolicyDto } from '../../governance/dto/business-policy.dto';
import { CliCommand, CliRunner } from '../nest/cli-command';
import { runGroup } from '../cli-front';
import { printJson } from '../cli-io';
import { CoreContext } from '../nest/core-context';
import {
  POLICY,
  POLICY_SET,
  POLICY_SHOW,
  POLICY_VIOLATIONS,
  PolicySetOptions,
} from '../grammar/governance-grammar';
import { validateDto } from '../grammar/validate-dto';

/**
 * `policy show|set|violations`: the services GET, PUT and GET …/violations of
 * `/api/v1/token-policy` run, for the operator, who reads and sets any business's policy (an
 * owner's power over HTTP) and sees every breaking token. `set` is audited as the PUT is, as
 * token_policy.updated with before and after, by "cli".
 */
@Injectable()
abstract class PolicyRunner extends CliRunner {
  constructor(protected readonly core: CoreContext) {
    super();
  }

  /** The business's id once it is known to exist: an unknown one is BUSINESS_NOT_FOUND. */
  protected async existing(businessId: string): Promise<string> {
    const [{ TenancyDirectory }, { TenancyError }] = await Promise.all([
      import('../../tenancy/tenancy-directory'),
      import('../../tenancy/tenancy-error'),
    ]);
    const business = await (await this.core.get(TenancyDirectory)).findBusiness(businessId);
    if (!business)
      throw new TenancyError('BUSINESS_NOT_FOUND', `No business with id ${businessId}`);
    return business.id;
  }

  protected async policies() {
    const { BusinessPolicyService } = await import('../../governance/business-policy.service');
    return this.core.get(BusinessPolicyService);
  }
}

@CliCommand(POLICY_SHOW)
export class PolicyShowCommand extends PolicyRunner {
  async run(params: string[], options: { business?: string }): Promise<void> {
    const businessId = await this.existing(POLICY_SHOW.argv(params, options));
    printJson(await (await this.policies()).readIn(businessId));
  }
}

@CliCommand(POLICY_SET)
export class PolicySetCommand extends PolicyRunner {
  async run(params: string[], options: PolicySetOptions): Promise<void> {
    const businessId = POLICY_SET.argv(params, options);
    const dto = validateDto(PutBusinessPolicyDto, {
      max_lifetime_days: options.maxLifetimeDays,
      require_expiry: options.requireExpiry,
      allowed_scopes: options.allowedScopes,
      required_cidrs: options.requiredCidrs,
      inactivity_revoke_days: options.inactivityRevokeDays,
      require_dpop: options.requireDpop,
      approval_required: options.approvalRequired?.json,
    });
    await this.existing(businessId);
    printJson(await (await this.policies()).replace(CLI_AUTHOR, businessId, dto));
  }
}

@CliCommand(POLICY_VIOLATIONS)
export class PolicyViolationsCommand extends PolicyRunner {
  async run(
    params: string[],
    options: { business?: string; limit?: string; cursor?: string },
  ): Promise<void> {
    const businessId = POLICY_VIOLATIONS.argv(params, options);
    const query = validateDto(PageQueryDto, { limit: options.limit, cursor: options.cursor });
    await this.existing(businessId);
    const { PolicyViolationsService } =
      await import('../../tokens/sweeps/policy-violations.service');
    const violations = await this.core.get(PolicyViolationsService);
    printJson(await violations.listIn(businessId, undefined, query));
  }
}

@CliCommand(POLICY)
export class PolicyCommand extends CliRunner {
  run(params: string[]): Promise<void> {
    runGroup(this.command, params);
  }
}

export const POLICY_COMMANDS = [
  PolicyCommand,
  PolicyShowCommand,
  PolicySetCommand,
  PolicyViolationsCommand,
];
