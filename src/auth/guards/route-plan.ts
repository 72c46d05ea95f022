import { ExecutionContext, Injectable, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import {
  BUSINESS_FROM_TOKEN,
  BUSINESS_SCOPED,
  GATEWAY_CHECK,
  IS_PUBLIC,
  PLATFORM_ONLY,
  REQUIRED_ROLE,
  REQUIRED_SCOPE,
  RETIRING_ALLOWED,
} from '../decorators';
import type { Role } from '../roles';

/** What a route asks of the guards, from its decorators (the handler's, then its class's). */
export interface RoutePlan {
  readonly isPublic: boolean;
  readonly businessScoped: boolean;
  /** `x-business-id` may be left out by a business token (`@BusinessOfToken()`). */
  readonly businessFromToken: boolean;
  /** `GET /auth/verify`: the gateway's checks (`GatewayGuard`) instead of the bearer's. */
  readonly gateway: boolean;
  readonly platformOnly: boolean;
  readonly role: Role | undefined;
  readonly scope: string | undefined;
  /** A write a retiring token may not make: every method but GET, unless `@RetiringAllowed()`. */
  readonly closedToRetiring: boolean;
  /** Whether the access check (platform, role, scope, retiring) has anything to check. */
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
    const isPublic = get<boolean>(IS_PUBLIC) === true;
    const method = this.reflector.get<RequestMethod | undefined>(
      METHOD_METADATA,
      targets[0] as never,
    );
    const closedToRetiring =
      !isPublic && method !== RequestMethod.GET && get<boolean>(RETIRING_ALLOWED) !== true;
    return Object.freeze({
      isPublic,
      businessScoped: get<boolean>(BUSINESS_SCOPED) === true,
      businessFromToken: get<boolean>(BUSINESS_FROM_TOKEN) === true,
      gateway: get<boolean>(GATEWAY_CHECK) === true,
      platformOnly,
      role,
      scope,
      closedToRetiring,
      checksAccess: platformOnly || role !== undefined || scope !== undefined || closedToRetiring,
    });
  }
}
