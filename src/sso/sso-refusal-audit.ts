import { Injectable, Logger } from '@nestjs/common';
import { loggableError } from '../common/errors/safe-error';
import { Author, EventOrigin } from '../database/units/domain-event';
import { UnitOfWork } from '../database/units/unit-of-work';
import { TenancyDirectory } from '../tenancy/tenancy-directory';
import { SsoError } from './sso-error';
import { AuditedRefusalCode, SsoSignInRefusedEvent } from './sso.events';

/** The refusals of a person the provider vouched for, which the business concerned audits. */
const AUDITED_REFUSALS = new Set<string>([
  'SSO_NO_ROLE',
  'SSO_EMAIL_UNVERIFIED',
  'SSO_BUSINESS_SUSPENDED',
] satisfies AuditedRefusalCode[]);
const isAuditedRefusal = (code: string): code is AuditedRefusalCode => AUDITED_REFUSALS.has(code);

/**
 * Writes a sign-in's refusal of someone the provider vouched for to the audit log of the business
 * concerned (the one they asked for, or the one their groups reached), as `sso.sign_in_refused`:
 * that business sees a person taken out of their group, or one trying it while it is suspended.
 * A sign-in that named no business has no log to go to, nor one the provider did not vouch for.
 */
@Injectable()
export class SsoRefusalAudit {
  private readonly logger = new Logger(SsoRefusalAudit.name);

  constructor(
    private readonly uow: UnitOfWork,
    private readonly directory: TenancyDirectory,
  ) {}

  /**
   * `decide`'s answer; its audited refusal is written in `businessId`, in a unit of work of its
   * own (the refused one has rolled back). Should the entry fail to be written, the refusal is
   * answered all the same, and the failure logged.
   */
  async around<T>(
    businessId: string | null,
    email: string,
    origin: EventOrigin,
    decide: () => Promise<T>,
  ): Promise<T> {
    try {
      return await decide();
    } catch (e) {
      if (!(e instanceof SsoError) || !isAuditedRefusal(e.code) || !businessId) throw e;
      await this.write(businessId, email, origin, e.code);
      throw e;
    }
  }

  private async write(
    businessId: string,
    email: string,
    origin: EventOrigin,
    code: AuditedRefusalCode,
  ): Promise<void> {
    const author: Author = { actor: { id: null, type: 'user', label: email }, origin };
    try {
      if (await this.directory.findBusiness(businessId)) {
        await this.uow.run((tx) =>
          tx.publish(new SsoSignInRefusedEvent(author, businessId, email, code)),
        );
      }
    } catch (failure) {
      this.logger.error({ err: loggableError(failure), code }, 'a refused sign-in was not audited');
    }
  }
}
