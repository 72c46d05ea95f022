import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from './src/config/load-config';
import { ENTITIES } from './src/wiring/entities';
import {
  dataSourceOptions,
  migrationDataSourceOptions,
} from './src/database/connection/data-source-options';
import { exposedFileWarning, prepareSqliteFiles } from './src/database/connection/sqlite-files';

const config = loadConfig(process.env);
// As the server does: the embedded database's folder and file are made private first.
if (config.databaseDriver === 'sqlite') {
  for (const file of prepareSqliteFiles(config.SQLITE_PATH)) {
    process.stderr.write(`${exposedFileWarning(file)}\n`);
  }
}

/**
 * The DataSource of the TypeORM CLI (`npm run migration:run`, `migration:show`), built from
 * the same validated config and options as the app, without the request timeouts: a migration
 * takes as long as it needs, as it does at start.
 */
export default new DataSource(migrationDataSourceOptions(dataSourceOptions(config, ENTITIES)));
