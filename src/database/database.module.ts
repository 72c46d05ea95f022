import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import type { DataSourceOptions } from 'typeorm';
import { dataSourceOptions } from './data-source-options';
import { DomainEvents } from './domain-events';
import { RawRows } from './raw-rows';
import { UnitOfWork } from './unit-of-work';

/** The DataSource, the unit of work, domain event dispatch and raw row reads, for the given entities. */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(entities: NonNullable<DataSourceOptions['entities']>): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => dataSourceOptions(config, entities),
        }),
      ],
      providers: [DomainEvents, UnitOfWork, RawRows],
      exports: [DomainEvents, UnitOfWork, RawRows],
    };
  }
}
