import { Module } from '@nestjs/common';
import { VerifyController } from './http/verify.controller';

/**
 * `GET /auth/verify`, the check gateways make (docs/gateways.md). Its rules are auth's
 * (`GatewayGuard`, run by the global guard); this module only answers them.
 */
@Module({ controllers: [VerifyController] })
export class GatewayModule {}
