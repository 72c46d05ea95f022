import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { BusHealthIndicator } from './bus.health';
import { HealthController } from './http/health.controller';
import { HomeController } from './http/home.controller';
import { RedisHealthIndicator } from './redis.health';
import { ReplicasHealthIndicator } from './replicas.health';

@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController, HomeController],
  providers: [RedisHealthIndicator, BusHealthIndicator, ReplicasHealthIndicator],
})
export class HealthModule {}
