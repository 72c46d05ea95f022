import { Controller, Get, Headers, Res } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../../auth/decorators';
import { CONSOLE_PATH } from '../../common/http/console-static';
import { ApiEnvelope, Outcome } from '../../common/http/envelope';

/** Where a newcomer goes from `/`. */
export class HomeDto {
  @ApiProperty({ example: '/admin', description: 'The admin console: sign in with a token' })
  console!: string;

  @ApiProperty({ example: '/docs', description: 'Swagger UI, the API explorer' })
  docs!: string;

  @ApiProperty({ example: '/docs-json', description: 'The OpenAPI 3 document' })
  openapi!: string;
}

const HOME: HomeDto = { console: CONSOLE_PATH, docs: '/docs', openapi: '/docs-json' };
const MESSAGE = `Latchkey: the admin console is at ${HOME.console}, Swagger UI at ${HOME.docs}`;

/**
 * `GET /` points the way, as a person who opens the server's address expects: a browser (its
 * navigation asks for `text/html`) is sent to the admin console, and any other client (curl, a
 * script, Swagger UI) is told where the console and the API's documents are.
 */
@ApiTags('operations')
@Public()
@Controller()
export class HomeController {
  @Get()
  @ApiOperation({
    operationId: 'getHome',
    summary: 'Where to go: the admin console, Swagger UI and the OpenAPI document',
    description:
      'Public. A browser (an `Accept` that names `text/html`) is redirected (302) to the admin ' +
      'console at `/admin`; any other client gets the paths of the console and the API documents.',
  })
  @ApiEnvelope(200, HomeDto)
  @ApiResponse({
    status: 302,
    description: 'A browser is sent to the admin console',
    headers: { location: { schema: { type: 'string', example: CONSOLE_PATH } } },
  })
  home(
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Outcome<HomeDto> | undefined {
    if (accept?.includes('text/html')) {
      void reply.status(302).header('location', HOME.console);
      return undefined;
    }
    return new Outcome({ ...HOME }, null, MESSAGE);
  }
}
