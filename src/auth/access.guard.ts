import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Role } from './roles';
import { AuthError } from './auth-error';
import { CONTEXT_KEY, PLATFORM_ONLY, REQUIRED_ROLE, REQUIRED_SCOPE } from './decorators';
import { RequestContext } from './request-context';

/** Checks `@PlatformOnly()`, `@RequireRole()` and `@RequireScope()`: role first, then scope. */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    const platformOnly = this.reflector.getAllAndOverride<boolean>(PLATFORM_ONLY, targets);
    const role = this.reflector.getAllAndOverride<Role | undefined>(REQUIRED_ROLE, targets);
    const scope = this.reflector.getAllAndOverride<string | undefined>(REQUIRED_SCOPE, targets);
    if (!platformOnly && !role && !scope) return true;

    const request = context.switchToHttp().getRequest<Record<string, unknown>>();
    const ctx = request[CONTEXT_KEY] as RequestContext;
    if (platformOnly && !ctx.isPlatformToken) {
      throw AuthError.forbidden('PLATFORM_ADMIN_REQUIRED', 'A platform admin token is required');
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
