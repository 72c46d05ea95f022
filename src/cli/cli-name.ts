import { Injectable } from '@nestjs/common';
import { InjectCommander } from 'nest-commander';

/** Help reads `Usage: cli …`, as `npm run -s cli -- …` calls it, not the script's file name. */
@Injectable()
export class CliName {
  constructor(@InjectCommander() commander: { name(name: string): unknown }) {
    commander.name('cli');
  }
}
