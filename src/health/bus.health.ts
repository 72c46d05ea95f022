import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { RevocationBus } from '../bus/revocation-bus';

/**
 * Reports the revocation bus: in-process is always up; over Redis it is up while this instance
 * is subscribed. While it is down the verifier reads through to the database, so revocation
 * stays exact, but the instance is degraded and says so.
 */
@Injectable()
export class BusHealthIndicator {
  constructor(
    private readonly bus: RevocationBus,
    private readonly indicator: HealthIndicatorService,
  ) {}

  check(key: string) {
    const { transport, connected } = this.bus.state;
    const check = this.indicator.check(key);
    return connected
      ? check.up({ transport })
      : check.down({ transport, message: 'Not subscribed; the token cache is bypassed' });
  }
}
