import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { StorageUnavailableError } from '../../common/errors/domain-error';
import { Public } from '../../auth/decorators';
import { ApiErrors, RawResponse } from '../../common/http/envelope';
import { BusHealthIndicator } from '../bus.health';
import { RedisHealthIndicator } from '../redis.health';
import { ReplicasHealthIndicator } from '../replicas.health';

@ApiTags('operations')
@Public()
@RawResponse()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly bus: BusHealthIndicator,
    private readonly replicas: ReplicasHealthIndicator,
  ) {}

  @Get('live')
  @ApiOperation({ operationId: 'checkLiveness', summary: 'Liveness: the process answers' })
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  // Above @HealthCheck(), whose 503 it replaces: a failed check answers in the error shape.
  @ApiErrors({ 503: ['STORAGE_UNAVAILABLE (the database, Redis or the bus does not answer)'] })
  @HealthCheck()
  @ApiOperation({
    operationId: 'checkReadiness',
    summary:
      'Readiness: the database (and Redis, when configured) answer, and the bus is subscribed',
  })
  async ready() {
    try {
      return await this.health.check([
        () => this.db.pingCheck('database', { timeout: 2000 }),
        ...(this.redis.configured ? [() => this.redis.check('redis')] : []),
        () => this.bus.check('bus'),
        ...(this.replicas.configured ? [() => this.replicas.check('replicas')] : []),
      ]);
    } catch (e) {
      if (!(e instanceof ServiceUnavailableException)) throw e;
      const result = e.getResponse() as HealthCheckResult;
      const failed = Object.keys(result.error ?? {});
      // The bus rides on Redis: when Redis itself does not answer, that is the cause to name.
      const down = (failed.includes('redis') ? failed.filter((k) => k !== 'bus') : failed).join(
        ', ',
      );
      throw new StorageUnavailableError(`Not ready: ${down || 'a dependency'} does not answer`);
    }
  }
}
