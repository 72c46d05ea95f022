import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { dataSourceOptions } from './connection/data-source-options';
import { DomainEvents } from './units/domain-events';
import { RawRows } from './raw-rows';
import { Database, ReadRouting } from './connection/read-routing';
import { ReplicaSet } from './connection/replica-set';
import { UnitOfWork } from './units/unit-of-work';
import { Metrics } from '../metrics/metrics';
import { statementCounts } from './statements/statement-count';

/**
 * The DataSource, the unit of work, domain event dispatch, raw row reads, the primary as a reader
 * (`Database`), and the read replicas with the routing of the reads they may serve, for the given
 * entities.
 */
@Global()
@Module({})
export class DatabaseModule {
  constructor(dataSource: DataSource, metrics: Metrics) {
    if (dataSource.options.type !== 'postgres') metrics.watchStatements(statementCounts);
  }

  static forRoot(entities: NonNullable<DataSourceOptions['entities']>): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => dataSourceOptions(config, entities),
        }),
      ],
      providers: [DomainEvents, UnitOfWork, RawRows, Database, ReplicaSet, ReadRouting],
      exports: [DomainEvents, UnitOfWork, RawRows, Database, ReplicaSet, ReadRouting],
    };
  }
}
