import type { LoggerService } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Logger, LoggerModule, PinoLogger } from 'nestjs-pino';
import { levels, type DestinationStream } from 'pino';
import { clientIp } from '../http/client-ip';
import { clientRequestIdOf, CONTEXT_KEY } from '../http/request-keys';
import { redactSecrets, redactUrl } from '../errors/safe-error';

/**
 * Where log lines go: in a terminal, through pino-pretty (one coloured line per record: the time
 * of day, the level, the message, then its fields); elsewhere, pino's own JSON lines on stdout
 * (undefined), which a log pipeline reads.
 * Pretty printing is synchronous, so no line is lost when the process exits, and pino-pretty is
 * loaded only for a terminal.
 */
export function logDestination(
  isTTY: boolean,
  output: NodeJS.WritableStream = process.stdout,
): DestinationStream | undefined {
  if (!isTTY) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only for a terminal
  const pretty = require('pino-pretty') as typeof import('pino-pretty');
  return pretty({
    destination: output,
    sync: true,
    colorize: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    singleLine: true,
  });
}

/**
 * Structured logs that never carry a secret: messages are scrubbed of anything token-shaped, and
 * `*.token` and `*.secret` fields are censored. JSON, except in a terminal (`logDestination`).
 *
 * nestjs-pino's HTTP middleware is not used (`forRoutes: []`): it ran on every request at every
 * level, and its AsyncLocalStorage turned on promise hooks for the whole process. Requests are
 * logged by `registerRequestLog` instead, which costs nothing when the level is above info.
 */
export function loggerModule(options: { level: string; isTTY?: boolean }) {
  const pinoOptions = {
    level: options.level,
    autoLogging: false,
    redact: { paths: ['*.token', '*.secret'], censor: '[REDACTED]' },
    hooks: {
      logMethod(this: unknown, args: unknown[], method: (...a: unknown[]) => void) {
        method.apply(
          this,
          args.map((a) => (typeof a === 'string' ? redactSecrets(a) : a)),
        );
      },
    },
  };
  const destination = logDestination(options.isTTY ?? process.stdout.isTTY === true);
  return LoggerModule.forRoot({
    forRoutes: [],
    pinoHttp: destination ? [pinoOptions, destination] : pinoOptions,
  });
}

interface RequestContextView {
  business?: { id: string } | null;
  token?: { id: string };
}

/** The ids of the span a request runs in, read only while tracing is on (see src/tracing.ts). */
export type SpanIdsReader = () => { trace_id: string; span_id: string } | undefined;

/**
 * One line per answered request, except health probes: the request id, method, URL (scrubbed),
 * client address, status, time, and the business and token that made the call; with tracing on,
 * the trace and span ids too, so a log line leads to its trace. Registered only when the level
 * logs info, so at warn a request pays nothing for logging. Headers are never logged, so neither
 * Authorization nor cookies are.
 */
export function registerRequestLog(
  fastify: FastifyInstance,
  level: string,
  spanIds?: SpanIdsReader,
): void {
  const threshold = (levels.values as Record<string, number | undefined>)[level];
  if (threshold === undefined || threshold > levels.values.info) return;
  fastify.addHook('onResponse', (request, reply, done) => {
    if (!request.url.startsWith('/health')) {
      const ctx = (request as FastifyRequest & { [CONTEXT_KEY]?: RequestContextView })[CONTEXT_KEY];
      // Flat fields: pino-http's standard serializers would reshape anything under req or res.
      const line: Record<string, unknown> = {
        request_id: request.id,
        ...clientRequestIdField(request.headers['x-request-id']),
        method: request.method,
        url: redactUrl(request.url),
        remote_address: clientIp(request),
        status: reply.statusCode,
        response_time_ms: Math.round(reply.elapsedTime * 100) / 100,
        business_id: ctx?.business?.id ?? null,
        token_id: ctx?.token?.id ?? null,
      };
      const ids = spanIds?.();
      if (ids) {
        line.trace_id = ids.trace_id;
        line.span_id = ids.span_id;
      }
      if (reply.statusCode >= 500) PinoLogger.root.error(line, 'request failed');
      else PinoLogger.root.info(line, 'request completed');
    }
    done();
  });
}

/** Nest's start-up chatter: a line per module, controller and route (about 70 of them). */
const STARTUP_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
]);

/**
 * Nest's logger, with its start-up chatter moved from info to debug: at info, a start says that
 * it started and where it listens, not which modules and routes it wired.
 */
export class AppLogger implements LoggerService {
  constructor(private readonly pino: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    const context = rest[rest.length - 1];
    if (typeof context === 'string' && STARTUP_CONTEXTS.has(context)) {
      this.pino.debug(message, ...rest);
    } else {
      this.pino.log(message, ...rest);
    }
  }

  error(message: unknown, ...rest: unknown[]): void {
    this.pino.error(message, ...rest);
  }

  warn(message: unknown, ...rest: unknown[]): void {
    this.pino.warn(message, ...rest);
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.pino.debug(message, ...rest);
  }

  verbose(message: unknown, ...rest: unknown[]): void {
    this.pino.verbose(message, ...rest);
  }

  fatal(message: unknown, ...rest: unknown[]): void {
    this.pino.fatal(message, ...rest);
  }
}

function clientRequestIdField(header: string | string[] | undefined): Record<string, string> {
  const id = clientRequestIdOf(header);
  return id === null ? {} : { client_request_id: id };
}
