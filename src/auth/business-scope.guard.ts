import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { RequestValidationError } from '../common/domain-error';
import { BusinessDirectory } from './ports';
import { AuthError } from './auth-error';
import { CONTEXT_KEY } from './decorators';
import { RoutePlans } from './route-plan';
import { RequestContext } from './request-context';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * For `@BusinessScoped()` routes: reads `x-business-id`, checks that the caller's token may act
 * in that business, and binds the business and role into the request context.
 */
@Injectable()
export class BusinessScopeGuard implements CanActivate {
  constructor(
    private readonly plans: RoutePlans,
    private readonly tenancy: BusinessDirectory,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.plans.of(context).businessScoped) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & Record<string, unknown>>();
    const ctx = request[CONTEXT_KEY] as RequestContext;

    const header = request.headers['x-business-id'];
    if (typeof header !== 'string' || !UUID.test(header)) {
      throw new RequestValidationError([
        {
          loc: ['header', 'x-business-id'],
          msg: header === undefined ? 'Field required' : 'Input should be a valid UUID',
          type: header === undefined ? 'missing' : 'uuid_parsing',
          ...(header === undefined ? {} : { input: header }),
        },
      ]);
    }
    const businessId = header.toLowerCase();

    // A business token acts only in its own business (whose row a foreign key guarantees); a
    // platform token may act in any business that exists, suspended ones included.
    if (!ctx.isPlatformToken && ctx.token.businessId !== businessId) {
      throw AuthError.forbidden('BUSINESS_MISMATCH');
    }
    // A business token brings its business from the verifier's snapshot, which a suspension
    // evicts; only a platform token naming some other business costs a read.
    const business =
      (!ctx.isPlatformToken && ctx.token.business) || (await this.tenancy.findBusiness(businessId));
    if (!business) throw AuthError.businessNotFound();
    if (!ctx.isPlatformToken && business.status === 'suspended') {
      throw AuthError.forbidden('BUSINESS_SUSPENDED');
    }
    request[CONTEXT_KEY] = ctx.inBusiness(business, ctx.role);
    return true;
  }
}
