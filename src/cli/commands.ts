import { Command, CommandRunner, Option } from 'nest-commander';
import { DataSource } from 'typeorm';
import { SYSTEM_AUTHOR } from '../database/domain-event';
import { migrateUnderLock } from '../database/migrate';
import { BusinessesService } from '../tenancy/businesses.service';
import { PlatformAdminsService } from '../tenancy/platform-admins.service';
import { AddPlatformAdminDto, CreateBusinessDto } from '../tenancy/dto/tenancy.dto';
import { validateDto } from './validate-dto';

/**
 * Commands print only their answer on stdout, so scripts can capture it; everything else
 * (errors, notes) goes to stderr.
 */
@Command({
  name: 'bootstrap',
  description: 'Print a new platform admin token for EMAIL, making EMAIL a platform admin first',
})
export class BootstrapCommand extends CommandRunner {
  constructor(
    private readonly dataSource: DataSource,
    private readonly admins: PlatformAdminsService,
  ) {
    super();
  }

  async run(_params: string[], options: { email?: string }): Promise<void> {
    const { email } = validateDto(AddPlatformAdminDto, { email: options.email });
    await migrateUnderLock(this.dataSource, () => Promise.resolve());
    const token = await this.admins.issuePlatformToken(SYSTEM_AUTHOR, email);
    process.stdout.write(`${token}\n`);
  }

  @Option({ flags: '--email <email>', description: 'the platform admin email', required: true })
  parseEmail(value: string): string {
    return value;
  }
}

@Command({
  name: 'create-business',
  description: "Create a business and print it as JSON, with its owner's first token (shown once)",
})
export class CreateBusinessCommand extends CommandRunner {
  constructor(
    private readonly dataSource: DataSource,
    private readonly businesses: BusinessesService,
  ) {
    super();
  }

  async run(_params: string[], options: { name?: string; ownerEmail?: string }): Promise<void> {
    const dto = validateDto(CreateBusinessDto, {
      name: options.name,
      owner_email: options.ownerEmail,
    });
    await migrateUnderLock(this.dataSource, () => Promise.resolve());
    const created = await this.businesses.create(SYSTEM_AUTHOR, dto);
    process.stdout.write(`${JSON.stringify(created, null, 2)}\n`);
  }

  @Option({ flags: '--name <name>', description: 'the business name', required: true })
  parseName(value: string): string {
    return value;
  }

  @Option({ flags: '--owner-email <email>', description: "the owner's email", required: true })
  parseOwnerEmail(value: string): string {
    return value;
  }
}
