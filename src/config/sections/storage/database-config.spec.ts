import { CONFIG_SECTIONS } from '../../app-config';
import { DatabaseConfig } from './database-config';
import { loadConfig } from '../../load-config';

const POSTGRES = 'postgres://u@h/db';

// These fields are declared on DatabaseConfig alone, and loadConfig builds an AppConfig: each row
// holds only if loadConfig reads and checks the section it is composed of.
describe(DatabaseConfig.name, () => {
  it('is a section AppConfig is composed of', () => {
    expect(CONFIG_SECTIONS).toContain(DatabaseConfig);
  });

  it.each<[keyof DatabaseConfig, string, unknown]>([
    ['DATABASE_URL', POSTGRES, POSTGRES],
    ['SQLITE_PATH', ':memory:', ':memory:'],
    ['DATABASE_POOL_MODE', 'transaction', 'transaction'],
    ['DATABASE_DIRECT_URL', POSTGRES, POSTGRES],
    ['DB_POOL_MAX', '7', 7],
    ['DB_STATEMENT_TIMEOUT_MS', '1500', 1500],
    ['DB_QUERY_TIMEOUT_MS', '2500', 2500],
    ['DB_CONNECT_TIMEOUT_MS', '1000', 1000],
  ])('reads %s=%s as %p', (name, raw, value) => {
    expect(loadConfig({ [name]: raw })[name]).toBe(value);
  });

  it.each([
    ['DATABASE_URL', 'mysql://x', /DATABASE_URL must be a postgres:\/\/ URL$/],
    [
      'DATABASE_POOL_MODE',
      'statement',
      /DATABASE_POOL_MODE must be one of .*session, transaction$/,
    ],
    ['DATABASE_DIRECT_URL', 'mysql://x', /must be a postgres:\/\/ URL straight to the server/],
    ['DB_POOL_MAX', '1001', /DB_POOL_MAX must not be greater than 1000$/],
    ['DB_STATEMENT_TIMEOUT_MS', '0', /DB_STATEMENT_TIMEOUT_MS must not be less than 100$/],
    ['DB_STATEMENT_TIMEOUT_MS', '5s', /DB_STATEMENT_TIMEOUT_MS must be an integer number$/],
    ['DB_QUERY_TIMEOUT_MS', '0', /DB_QUERY_TIMEOUT_MS must not be less than 100$/],
    ['DB_QUERY_TIMEOUT_MS', '600001', /DB_QUERY_TIMEOUT_MS must not be greater than 600000$/],
    ['DB_CONNECT_TIMEOUT_MS', '2.5', /DB_CONNECT_TIMEOUT_MS must be an integer number$/],
  ])('refuses %s=%s at boot, naming the variable', (name, raw, message) => {
    expect(() => loadConfig({ [name]: raw })).toThrow(
      expect.objectContaining({
        problems: [expect.stringMatching(new RegExp(`^${name}: ${message.source}`))],
      }),
    );
  });

  it('chooses PostgreSQL when DATABASE_URL is set, and SQLite when it is not', () => {
    expect(loadConfig({ DATABASE_URL: POSTGRES }).databaseDriver).toBe('postgres');
    expect(loadConfig({}).databaseDriver).toBe('sqlite');
  });
});
