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
      // Commander has already written its message (an unknown command, a missing option) or
      // the help itself; writing err.message again doubled the one and printed "(outputHelp)"
      // after the other. Only the exit code is left to give: 0 for help, 1 for an error.
      errorHandler: (err) => {
        process.exit((err as { exitCode?: number }).exitCode ?? 1);
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
