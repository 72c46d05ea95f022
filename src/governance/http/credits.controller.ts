import { Body, Controller, Delete, Get, Param, Put } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { BusinessScoped, Ctx, RequireRole, RequireScope } from '../../auth/decorators';
import { RequestContext } from '../../auth/request-context';
import { ApiEnvelope, ApiErrors } from '../../common/http/envelope';
import { CreditsService } from '../credits/credits.service';
import {
  CreditBalancesDto,
  CreditBalanceViewDto,
  CreditHolderParamDto,
  PutCreditBalanceDto,
} from '../credits/dto/credits.dto';

const SPENT =
  'Every gateway check (`/auth/verify`) of a business token spends its cost (1, or what its ' +
  'trusted gateway says in X-Latchkey-Cost, 0 to 1000) from its identity’s balance, when it has ' +
  'one, and from the business’s, when the business has one; a balance that cannot pay is 429 ' +
  'CREDITS_EXHAUSTED, with Retry-After when a refill is due. Spent once every other check has ' +
  'passed, so a refused check costs nothing. Exact across instances; after a crash, what an ' +
  'instance held is lost, never granted twice.';

/** A business's credit balances: what its gateway checks spend. */
@ApiTags('credits')
@BusinessScoped()
@Controller('api/v1/credits')
export class CreditsController {
  constructor(private readonly credits: CreditsService) {}

  @Get()
  @RequireRole('admin')
  @ApiOperation({
    operationId: 'listCreditBalances',
    summary: "The business's credit balances (owners and admins)",
    description: SPENT,
  })
  @ApiEnvelope(200, CreditBalancesDto)
  @ApiErrors({ 403: ['INSUFFICIENT_ROLE'] })
  list(@Ctx() ctx: RequestContext) {
    return this.credits.list(ctx);
  }

  @Put(':holder')
  @RequireRole('owner')
  @RequireScope('tokens:admin')
  @ApiOperation({
    operationId: 'replaceCreditBalance',
    summary: 'Set a credit balance: the business’s, or an identity’s (owners; tokens:admin)',
    description: `${SPENT} Audited as credit_balance.set, with before and after.`,
  })
  @ApiEnvelope(200, CreditBalanceViewDto)
  @ApiErrors({
    403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'],
    404: ['IDENTITY_NOT_FOUND'],
    422: ['VALIDATION_ERROR'],
  })
  put(
    @Ctx() ctx: RequestContext,
    @Param() params: CreditHolderParamDto,
    @Body() dto: PutCreditBalanceDto,
  ) {
    return this.credits.put(ctx, params.holder, dto);
  }

  @Delete(':holder')
  @RequireRole('owner')
  @RequireScope('tokens:admin')
  @ApiOperation({
    operationId: 'deleteCreditBalance',
    summary: 'Delete a credit balance (owners; tokens:admin)',
    description: 'Its holder’s checks spend none from then on. Audited as credit_balance.deleted.',
  })
  @ApiEnvelope(200, CreditBalanceViewDto)
  @ApiErrors({
    403: ['INSUFFICIENT_ROLE', 'INSUFFICIENT_SCOPE'],
    404: ['CREDIT_ACCOUNT_NOT_FOUND'],
    422: ['VALIDATION_ERROR'],
  })
  delete(@Ctx() ctx: RequestContext, @Param() params: CreditHolderParamDto) {
    return this.credits.delete(ctx, params.holder);
  }
}
