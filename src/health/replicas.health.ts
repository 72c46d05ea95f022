import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ReplicaSet } from '../database/connection/replica-set';

/**
 * Reports the read replicas (DATABASE_REPLICA_URLS): each one's state and lag, by its place in
 * the list, never its URL. Always up: a replica that is down or behind is skipped and the primary
 * answers its reads, so the instance still serves; readiness says so without failing it.
 */
@Injectable()
export class ReplicasHealthIndicator {
  constructor(
    private readonly replicas: ReplicaSet,
    private readonly indicator: HealthIndicatorService,
  ) {}

  get configured(): boolean {
    return this.replicas.replicas.length > 0;
  }

  check(key: string) {
    const replicas = this.replicas.status();
    const serving = replicas.filter((r) => r.state === 'ready').length;
    return this.indicator.check(key).up({
      serving,
      ...(serving < replicas.length
        ? { message: 'Replicas down or behind are skipped; the primary answers their reads' }
        : {}),
      replicas,
    });
  }
}
