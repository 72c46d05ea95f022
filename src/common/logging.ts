import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { redactSecrets } from './safe-error';

/**
 * Structured logs that never carry a secret: request headers are not logged at all (so neither
 * Authorization nor cookies are), URLs and messages are scrubbed of anything token-shaped.
 */
export function loggerModule(options: { level: string }) {
  return LoggerModule.forRoot({
    pinoHttp: {
      level: options.level,
      genReqId: (req: IncomingMessage) => (req as IncomingMessage & { id?: string }).id ?? '',
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', '*.token', '*.secret'],
        censor: '[REDACTED]',
      },
      serializers: {
        req: (req: { id?: string; method?: string; url?: string; remoteAddress?: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url ? redactSecrets(req.url) : req.url,
          remote_address: req.remoteAddress,
        }),
        res: (res: { statusCode?: number }) => ({ status_code: res.statusCode }),
      },
      hooks: {
        logMethod(args: unknown[], method: (...a: unknown[]) => void) {
          method.apply(
            this,
            args.map((a) => (typeof a === 'string' ? redactSecrets(a) : a)),
          );
        },
      },
      customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error) =>
        err || res.statusCode >= 500 ? 'error' : 'info',
      // Under Fastify's middleware layer `url` is relative to the mount point; originalUrl is not.
      autoLogging: {
        ignore: (req: IncomingMessage & { originalUrl?: string }) =>
          (req.originalUrl ?? req.url ?? '').startsWith('/health'),
      },
    },
  });
}
