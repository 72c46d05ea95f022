import { Module } from '@nestjs/common';
import { SsfConfigurationController } from './ssf-configuration.controller';
import { SsfStreamsController } from './ssf-streams.controller';
import { SsfModule } from '../ssf.module';

/** The transmitter's metadata and stream management routes: the HTTP app's, never the CLI's. */
@Module({
  imports: [SsfModule],
  controllers: [SsfConfigurationController, SsfStreamsController],
})
export class SsfRoutesModule {}
