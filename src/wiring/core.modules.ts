import { AuditModule } from '../audit/audit.module';
import { BusModule } from '../bus/bus.module';
import { DatabaseModule } from '../database/database.module';
import { FederationCoreModule } from '../federation/federation-core.module';
import { TenancyModule } from '../tenancy/tenancy.module';
import { TokensModule } from '../tokens/tokens.module';
import { SsfModule } from '../ssf/ssf.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { WorkflowsModule } from '../workflows/workflows.module';
import { ENTITIES } from './entities';

/**
 * The modules that make and record changes, shared by the HTTP app and the CLI: whatever path
 * changes data writes the same audit events into the same chains, and publishes the same bus
 * messages. `DomainEvents` refuses to start a process in which an audited event has no handler.
 * Each process adds the `MetricsModule` it wants: the server's counts, the CLI's counts nothing.
 */
export const CORE_MODULES = [
  DatabaseModule.forRoot(ENTITIES),
  BusModule,
  TenancyModule,
  TokensModule,
  WorkflowsModule,
  AuditModule,
  WebhooksModule,
  SsfModule,
  FederationCoreModule,
];
