import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import type { DataSourceOptions } from 'typeorm';
import { dataSourceOptions } from './data-source-options';
import { DomainEvents } from './domain-events';
import { UnitOfWork } from './unit-of-work';

/** The DataSource, the unit of work and domain event dispatch, for the given entities. */
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
      providers: [DomainEvents, UnitOfWork],
      exports: [DomainEvents, UnitOfWork],
    };
  }
}
