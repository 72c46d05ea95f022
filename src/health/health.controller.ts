import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { StorageUnavailableError } from '../common/domain-error';
import { Public } from '../auth/decorators';
import { RawResponse } from '../common/envelope';
import { RedisHealthIndicator } from './redis.health';

@ApiTags('operations')
@Public()
@RawResponse()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: the database (and Redis, when configured) answer' })
  async ready() {
    try {
      return await this.health.check([
        () => this.db.pingCheck('database', { timeout: 2000 }),
        ...(this.redis.configured ? [() => this.redis.check('redis')] : []),
      ]);
    } catch (e) {
      if (!(e instanceof ServiceUnavailableException)) throw e;
      const result = e.getResponse() as HealthCheckResult;
      const down = Object.keys(result.error ?? {}).join(', ');
      throw new StorageUnavailableError(`Not ready: ${down || 'a dependency'} does not answer`);
    }
  }
}
