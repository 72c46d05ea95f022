import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  BUSINESS_SCOPED,
  IS_PUBLIC,
  PLATFORM_ONLY,
  REQUIRED_ROLE,
  REQUIRED_SCOPE,
} from './decorators';
import type { Role } from './roles';

/** What a route asks of the guards, from its decorators (the handler's, then its class's). */
export interface RoutePlan {
  readonly isPublic: boolean;
  readonly businessScoped: boolean;
  readonly platformOnly: boolean;
  readonly role: Role | undefined;
  readonly scope: string | undefined;
  /** Whether the access check (platform, role, scope) has anything to check. */
  readonly checksAccess: boolean;
}

/**
 * Each route's plan, read from its metadata once and kept: the guards ask it on every request
 * instead of walking the reflector five times per request.
 */
@Injectable()
export class RoutePlans {
  private readonly plans = new WeakMap<object, WeakMap<object, RoutePlan>>();

  constructor(private readonly reflector: Reflector) {}

  of(context: ExecutionContext): RoutePlan {
    const handler = context.getHandler();
    const owner = context.getClass();
    let byClass = this.plans.get(handler);
    if (!byClass) this.plans.set(handler, (byClass = new WeakMap()));
    let plan = byClass.get(owner);
    if (!plan) byClass.set(owner, (plan = this.read([handler, owner])));
    return plan;
  }

  private read(targets: [object, object]): RoutePlan {
    const get = <T>(key: string) =>
      this.reflector.getAllAndOverride<T | undefined>(key, targets as never);
    const platformOnly = get<boolean>(PLATFORM_ONLY) === true;
    const role = get<Role>(REQUIRED_ROLE);
    const scope = get<string>(REQUIRED_SCOPE);
    return Object.freeze({
      isPublic: get<boolean>(IS_PUBLIC) === true,
      businessScoped: get<boolean>(BUSINESS_SCOPED) === true,
      platformOnly,
      role,
      scope,
      checksAccess: platformOnly || role !== undefined || scope !== undefined,
    });
  }
}
