import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';

/**
 * Outgoing email (invitations): the SMTP server and the sender. Unset, nothing is sent, and
 * `POST /api/v1/invitations` says so (409 EMAIL_NOT_CONFIGURED) rather than pretend. Composed
 * into `AppConfig`, which validates it at boot.
 */
export class EmailConfig {
  /**
   * The SMTP server, as nodemailer reads it: `smtp://host:port` (STARTTLS when offered) or
   * `smtps://host:465`, with `user:password@` when it asks for them. A secret: never logged.
   */
  @IsOptional()
  @IsString()
  @MaxLength(500)
  @Matches(/^smtps?:\/\/[^\s/?#]+(\/[^\s]*)?$/, {
    message: 'SMTP_URL must be an smtp:// or smtps:// URL, such as smtp://mail.example.com:587',
  })
  SMTP_URL?: string;

  /** The sender of every email: an address, or `Name <address>`, on one line. */
  @IsString()
  @MaxLength(320)
  @Matches(/^(?:[^\r\n<>"]{0,64} ?<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/, {
    message:
      'SMTP_FROM must be an address or Name <address>, such as Latchkey <no-reply@example.com>',
  })
  SMTP_FROM = 'Latchkey <no-reply@latchkey.local>';
}
