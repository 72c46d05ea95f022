import { SMTPServer } from 'smtp-server';
import { freePort } from '../harness/ports';

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The message as it arrived, headers and body, with its quoted-printable decoded. */
  text: string;
}

/**
 * An SMTP server on 127.0.0.1 that keeps what it receives: the invitations' mail sink. It can be
 * stopped and started again on its port, so a test can take the mail server away.
 */
export class MailSink {
  readonly received: ReceivedMail[] = [];
  private server: SMTPServer | null = null;

  private constructor(readonly port: number) {}

  static async start(): Promise<MailSink> {
    const sink = new MailSink(await freePort());
    await sink.listen();
    return sink;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async listen(): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          this.received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            text: decodeQuotedPrintable(Buffer.concat(chunks).toString('utf8')),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The mails sent to `to` so far, oldest first. */
  mailsTo(to: string): ReceivedMail[] {
    return this.received.filter((m) => m.to.includes(to));
  }

  /** The link's secret of the last mail to `to`, waiting a little for it to arrive. */
  async lastLinkTo(to: string): Promise<{ link: string; secret: string }> {
    for (let waited = 0; waited < 5000; waited += 20) {
      const mails = this.mailsTo(to);
      const last = mails[mails.length - 1];
      const match = last?.text.match(/(\S+\/admin\/#\/invitation\?token=([A-Za-z0-9_%-]+))/);
      if (match) return { link: match[1], secret: decodeURIComponent(match[2]) };
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no invitation mail to ${to}`);
  }
}

/** Soft line breaks out, `=XX` to its byte: enough for the ASCII bodies the app sends. */
function decodeQuotedPrintable(text: string): string {
  return text
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
