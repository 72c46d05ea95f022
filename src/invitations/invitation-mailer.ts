import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { createTransport, type Transporter } from 'nodemailer';
import { AppConfig } from '../config/app-config';
import { publicBaseUrl } from '../config/sections/features/status-list-config';
import { InvitationError } from './invitation-error';

/** How long the mail server has to answer each step: a silent one fails the send, not the API. */
const SMTP_TIMEOUT_MS = 10_000;

/**
 * Sends invitation emails through SMTP_URL. The body holds the link (that is its job); logs name
 * only the failure's code, never the link, the address or the server's URL (it may hold a
 * password).
 */
@Injectable()
export class InvitationMailer implements OnModuleDestroy {
  private readonly logger = new Logger(InvitationMailer.name);
  private readonly transport: Transporter | null;
  private readonly linkBase: string;

  constructor(private readonly config: AppConfig) {
    this.transport = config.SMTP_URL
      ? createTransport({
          url: config.SMTP_URL,
          connectionTimeout: SMTP_TIMEOUT_MS,
          greetingTimeout: SMTP_TIMEOUT_MS,
          socketTimeout: SMTP_TIMEOUT_MS,
          logger: false,
          debug: false,
        })
      : null;
    this.linkBase = `${publicBaseUrl(config)}/admin/#/invitation?token=`;
  }

  /** Refuses (409 EMAIL_NOT_CONFIGURED) when there is no mail server to send through. */
  assertConfigured(): void {
    if (!this.transport) throw new InvitationError('EMAIL_NOT_CONFIGURED');
  }

  /** The link an invitee follows. */
  linkOf(secret: string): string {
    return this.linkBase + encodeURIComponent(secret);
  }

  /**
   * Hands the invitation to the mail server. Answers null once it took it, else the failure's
   * code (`ECONNECTION`, `EENVELOPE`, …) for the audit entry.
   */
  async send(
    to: string,
    invite: {
      businessName: string;
      invitedBy: string;
      role: string;
      secret: string;
      expiresAt: Date;
    },
  ): Promise<string | null> {
    this.assertConfigured();
    const link = this.linkOf(invite.secret);
    try {
      await this.transport!.sendMail({
        from: this.config.SMTP_FROM,
        to,
        subject: `You are invited to ${invite.businessName} on Latchkey`,
        text:
          `${invite.invitedBy} invites you to join ${invite.businessName} on Latchkey, as ` +
          `${invite.role}.\n\n` +
          `Accept the invitation here:\n${link}\n\n` +
          `The link works once, until ${invite.expiresAt.toISOString()}. ` +
          'If you did not expect it, ignore this email.\n',
      });
      return null;
    } catch (e) {
      const code = smtpErrorCode(e);
      this.logger.warn(`An invitation email was not sent (${code})`);
      return code;
    }
  }

  onModuleDestroy(): void {
    this.transport?.close();
  }
}

/** nodemailer's error code, or a fixed word: never the message, which may quote the server. */
function smtpErrorCode(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z_]{1,32}$/.test(code) ? code : 'ESEND';
}
