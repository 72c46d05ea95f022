import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from './src/config/app-config';
import { dataSourceOptions } from './src/database/data-source-options';

/**
 * The DataSource of the TypeORM CLI (`npm run migration:run`, `migration:show`), built from
 * the same validated config and options as the app.
 */
export default new DataSource(dataSourceOptions(loadConfig(process.env)));
