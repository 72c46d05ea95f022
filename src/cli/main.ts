import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { ConfigValidationError, loadConfig } from '../config/app-config';
import { CliModule } from './cli.module';

/** `npm run -s cli -- <command>`: logs and errors on stderr, the answer alone on stdout. */
async function main(): Promise<void> {
  try {
    const config = loadConfig(process.env);
    await CommandFactory.run(CliModule.forRoot(config), {
      logger: ['error'],
      errorHandler: (err) => {
        process.stderr.write(`${err.message}\n`);
        process.exit(1);
      },
      serviceErrorHandler: (err) => {
        process.stderr.write(`${err.message}\n`);
        process.exit(1);
      },
    });
  } catch (e) {
    process.stderr.write(`${e instanceof ConfigValidationError ? e.message : String(e)}\n`);
    process.exit(1);
  }
}

void main();
