import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { ERROR_CODE_KEY } from '../http/request-keys';
import { forOAuthRoute, toErrorResponse } from './error-response';
import { loggableError } from './safe-error';

/** Turns every error into the public error shape, with the request id, and logs only our faults. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  constructor(private readonly logger: PinoLogger) {
    this.logger.setContext(AllExceptionsFilter.name);
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const response = toErrorResponse(exception, request?.id ?? null);
    if (response.unexpected) {
      this.logger.error(
        { err: loggableError(exception), request_id: request?.id ?? null },
        'unexpected error',
      );
    }
    // For what reads the request once answered (verification analytics), without the body.
    if (request)
      (request as FastifyRequest & { [ERROR_CODE_KEY]?: string })[ERROR_CODE_KEY] =
        response.body.code;
    if (reply.sent) return;
    const answer = forOAuthRoute(response, request?.url);
    void reply.status(answer.status).headers(answer.headers).send(answer.body);
  }
}
