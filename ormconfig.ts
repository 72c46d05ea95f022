import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from './src/config/app-config';
import { ENTITIES } from './src/wiring/entities';
import { dataSourceOptions, migrationDataSourceOptions } from './src/database/data-source-options';

/**
 * The DataSource of the TypeORM CLI (`npm run migration:run`, `migration:show`), built from
 * the same validated config and options as the app, without the request timeouts: a migration
 * takes as long as it needs, as it does at start.
 */
export default new DataSource(
  migrationDataSourceOptions(dataSourceOptions(loadConfig(process.env), ENTITIES)),
);
