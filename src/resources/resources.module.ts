import { Module } from '@nestjs/common';
import { ResourcesController } from './http/resources.controller';
import { ResourcesService } from './resources.service';
import { ResourcesRepository } from './store/resources.repository';

/**
 * The resources a business registers: what its tokens will be issued for. It reads nothing of
 * other features; the authorization server that issues tokens for them will read it through
 * `ResourcesService`.
 */
@Module({
  controllers: [ResourcesController],
  providers: [ResourcesService, ResourcesRepository],
  exports: [ResourcesService],
})
export class ResourcesModule {}
