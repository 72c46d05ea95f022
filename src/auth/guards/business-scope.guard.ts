import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { RequestValidationError } from '../../common/errors/domain-error';
import { echoed } from '../../common/validation/validation.pipe';
import { BusinessDirectory, type BusinessRecord } from '../ports';
import { AuthError } from '../auth-error';
import { CONTEXT_KEY } from '../decorators';
import { RoutePlans } from './route-plan';
import { RequestContext } from '../request-context';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A header that names a business: its uuid, lowercased, or the 422 that names the header. */
export function businessIdOf(header: string | string[] | undefined, name: string): string {
  if (typeof header !== 'string' || !UUID.test(header)) {
    throw new RequestValidationError([
      {
        loc: ['header', name],
        msg: header === undefined ? 'Field required' : 'Input should be a valid UUID',
        type: header === undefined ? 'missing' : 'uuid_parsing',
        // Clipped, and a token pasted in masked: an error never says a secret back.
        ...(header === undefined ? {} : { input: echoed(header) }),
      },
    ]);
  }
  return header.toLowerCase();
}

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

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const plan = this.plans.of(context);
    if (!plan.businessScoped) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const bound = this.bindRequest(request, plan.businessFromToken);
    return bound ? bound.then(() => true) : true;
  }

  /**
   * The request's context bound to the business `x-business-id` names: at once where the
   * business comes with the token (every business token), a promise where it must be read.
   * `fromToken`: a business token that sends no header acts in its own business.
   */
  bindRequest(request: FastifyRequest, fromToken: boolean): Promise<void> | undefined {
    const held = request as FastifyRequest & Record<string, unknown>;
    const ctx = held[CONTEXT_KEY] as RequestContext;
    const header = request.headers['x-business-id'];
    const own = fromToken && header === undefined && !ctx.isPlatformToken;
    const businessId = own ? ctx.token.businessId! : businessIdOf(header, 'x-business-id');
    const bound = this.bind(ctx, businessId);
    if (bound instanceof Promise) {
      return bound.then((inBusiness) => {
        held[CONTEXT_KEY] = inBusiness;
      });
    }
    held[CONTEXT_KEY] = bound;
    return undefined;
  }

  /**
   * The caller's context in `businessId`, or the refusal: 403 for another business's or a
   * suspended business's token, 404 for a business that does not exist. The rule of every
   * business-scoped route, and of `GET /auth/verify` for the business a gateway serves.
   * Answered at once for a business token, whose business the verifier's snapshot carries (a
   * suspension evicts it); only a platform token naming some other business costs a read.
   */
  bind(ctx: RequestContext, businessId: string): RequestContext | Promise<RequestContext> {
    // A business token acts only in its own business (whose row a foreign key guarantees); a
    // platform token may act in any business that exists, suspended ones included.
    if (!ctx.isPlatformToken && ctx.token.businessId !== businessId) {
      throw AuthError.forbidden('BUSINESS_MISMATCH');
    }
    const carried = !ctx.isPlatformToken && ctx.token.business;
    if (carried) return inBusiness(ctx, carried);
    return this.tenancy.findBusiness(businessId).then((found) => inBusiness(ctx, found));
  }
}

/** The rest of `bind`'s rule, once the business is known (null: it does not exist). */
function inBusiness(ctx: RequestContext, business: BusinessRecord | null): RequestContext {
  if (!business) throw AuthError.businessNotFound();
  if (!ctx.isPlatformToken && business.status === 'suspended') {
    throw AuthError.forbidden('BUSINESS_SUSPENDED');
  }
  return ctx.inBusiness(business, ctx.role);
}
