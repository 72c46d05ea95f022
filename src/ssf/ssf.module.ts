import { Module } from '@nestjs/common';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { SsfOutbox } from './events/ssf-outbox';
import { SsfStreamsService } from './streams/ssf-streams.service';

/**
 * The Shared Signals transmitter (SSF 1.0, CAEP 1.0): streams, and the SETs queued to them as
 * tokens change. It sits above webhooks, whose outbox and worker carry its pushes.
 */
@Module({
  imports: [WebhooksModule],
  providers: [SsfStreamsService, SsfOutbox],
  exports: [SsfStreamsService],
})
export class SsfModule {
  // The streams' SETs are queued as the audit log is appended: constructed with the module.
  constructor(_outbox: SsfOutbox) {}
}
