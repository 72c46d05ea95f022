import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { AuthError } from '../auth-error';
import { requestOf } from '../../common/http/request-keys';
import { CONTEXT_KEY } from '../decorators';
import { RoutePlans } from './route-plan';
import { RequestContext } from '../request-context';

/**
 * Checks a retiring token's writes, then `@PlatformOnly()`, `@RequireRole()` and
 * `@RequireScope()`: role first, then scope.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(private readonly plans: RoutePlans) {}

  canActivate(context: ExecutionContext): boolean {
    const { platformOnly, role, scope, checksAccess, closedToRetiring } = this.plans.of(context);
    if (!checksAccess) return true;

    const request = requestOf(context);
    const ctx = request[CONTEXT_KEY] as RequestContext;
    if (closedToRetiring && ctx.token.retiring) {
      throw AuthError.forbidden('TOKEN_RETIRING');
    }
    if (platformOnly && !ctx.isPlatformToken) {
      throw AuthError.forbidden('PLATFORM_ADMIN_REQUIRED');
    }
    if (role && !ctx.hasRole(role)) {
      throw AuthError.forbidden('INSUFFICIENT_ROLE', `This action needs the ${role} role`);
    }
    if (scope && !ctx.allowsScope(scope)) {
      throw AuthError.forbidden('INSUFFICIENT_SCOPE', `This token lacks the ${scope} scope`);
    }
    return true;
  }
}
