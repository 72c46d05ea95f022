import {
  Controller,
  type DynamicModule,
  Get,
  HttpException,
  Inject,
  Module,
  Res,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import express, { type Request, type Response as ExpressResponse } from 'express';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { type Context, Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import * as onExpress from '../../packages/client/src/express';
import * as onFastify from '../../packages/client/src/fastify';
import * as onHono from '../../packages/client/src/hono';
import * as onNest from '../../packages/client/src/nestjs';
import type {
  LatchkeyOptions,
  LatchkeyRefusal,
  LatchkeyToken,
  ProtectedResourceOptions,
} from '../../packages/client/src/middleware/token-check';
import type { Answer } from './middleware-fixtures';

/**
 * Apps of each framework that are an MCP server's shape of protected resource
 * (protected-resource.e2e-spec.ts): the framework's metadata route, and behind the middleware
 * `/mcp` (the token's holder), `/mcp/write` (requiring `files:write` per route) and `/mcp/tool`
 * (which answers the app's own `insufficientScope(…, ['files:delete'])`, as a tool call would).
 */

/** The scope of the app's own refusal at `/mcp/tool`. */
export const TOOL_SCOPE = 'files:delete';

export interface ResourceApp {
  request(method: string, path: string, headers?: Record<string, string>): Promise<Answer>;
  close(): Promise<void>;
}

export type StartResourceApp = (
  options: LatchkeyOptions & { protectedResource: ProtectedResourceOptions },
) => Promise<ResourceApp>;

async function read(res: Response): Promise<Answer> {
  const text = await res.text();
  return {
    status: res.status,
    headers: Object.fromEntries(res.headers),
    body: text === '' ? null : JSON.parse(text),
  };
}

/** An app listening on 127.0.0.1, asked with fetch. */
function listening(origin: string, close: () => Promise<void>): ResourceApp {
  return {
    request: async (method, path, headers = {}) =>
      read(await fetch(`${origin}${path}`, { method, headers })),
    close,
  };
}

const holder = (token: LatchkeyToken | null | undefined) => ({ identityId: token?.identityId });

const startExpress: StartResourceApp = async (options) => {
  const { latchkey, latchkeyResourceMetadata, requireScopes, insufficientScope } = onExpress;
  const app = express();
  const answer = (res: ExpressResponse, { status, headers, body }: LatchkeyRefusal) =>
    res.status(status).set(headers).json(body);
  app.use(latchkeyResourceMetadata(options.protectedResource));
  app.use(latchkey(options));
  app.get('/mcp', (req: Request, res) => res.json(holder(req.latchkey)));
  app.get('/mcp/write', requireScopes('files:write'), (req, res) => res.json(holder(req.latchkey)));
  app.get('/mcp/tool', (_req, res) =>
    answer(res, insufficientScope(options.protectedResource, [TOOL_SCOPE])),
  );
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return listening(origin, async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
};

const startFastify: StartResourceApp = async (options) => {
  const { latchkey, latchkeyResourceMetadata, requireScopes, insufficientScope } = onFastify;
  const app = Fastify();
  await app.register(latchkey, options);
  await app.register(latchkeyResourceMetadata, options.protectedResource);
  const echo = (request: FastifyRequest) => Promise.resolve(holder(request.latchkey));
  app.get('/mcp', echo);
  app.get('/mcp/write', { preHandler: requireScopes('files:write') }, echo);
  app.get('/mcp/tool', (_request, reply: FastifyReply) => {
    const { status, headers, body } = insufficientScope(options.protectedResource, [TOOL_SCOPE]);
    return reply.code(status).headers(headers).send(body);
  });
  const origin = await app.listen({ port: 0, host: '127.0.0.1' });
  return listening(origin, () => app.close());
};

const startHono: StartResourceApp = (options) => {
  const { latchkey, latchkeyResourceMetadata, requireScopes, insufficientScope } = onHono;
  const app = new Hono<onHono.LatchkeyEnv>();
  app.use(latchkeyResourceMetadata(options.protectedResource));
  app.use(latchkey(options));
  const echo = (c: Context<onHono.LatchkeyEnv>) => c.json(holder(c.get('latchkey')));
  app.get('/mcp', echo);
  app.get('/mcp/write', requireScopes('files:write'), echo);
  app.get('/mcp/tool', (c) => {
    const { status, headers, body } = insufficientScope(options.protectedResource, [TOOL_SCOPE]);
    return c.json(body, status, headers);
  });
  return Promise.resolve({
    request: async (method, path, headers) => read(await app.request(path, { method, headers })),
    close: () => Promise.resolve(),
  });
};

const RESOURCE = Symbol('RESOURCE');

@Controller('mcp')
class McpController {
  constructor(@Inject(RESOURCE) private readonly resource: ProtectedResourceOptions) {}

  @Get()
  mcp(@onNest.VerifiedToken() token: LatchkeyToken | undefined) {
    return holder(token);
  }

  @Get('write')
  @onNest.RequireScopes('files:write')
  write(@onNest.VerifiedToken() token: LatchkeyToken | undefined) {
    return holder(token);
  }

  @Get('tool')
  tool(@Res({ passthrough: true }) reply: FastifyReply): never {
    const { status, headers, body } = onNest.insufficientScope(this.resource, [TOOL_SCOPE]);
    void reply.headers(headers);
    throw new HttpException(body, status);
  }
}

@Module({})
class McpAppModule {
  static with(options: LatchkeyOptions & { protectedResource: object }): DynamicModule {
    return {
      module: McpAppModule,
      imports: [onNest.LatchkeyModule.forRoot(options)],
      controllers: [McpController],
      providers: [{ provide: RESOURCE, useValue: options.protectedResource }],
    };
  }
}

/** NestJS 11 on Fastify: `LatchkeyModule.forRoot` serves the metadata itself. */
const startNest: StartResourceApp = async (options) => {
  const app = await NestFactory.create<NestFastifyApplication>(
    McpAppModule.with(options),
    new FastifyAdapter(),
    { logger: false },
  );
  await app.listen(0, '127.0.0.1');
  return listening(await app.getUrl(), () => app.close());
};

/**
 * Each framework, and whether its 401 names the route's own scopes too: only the NestJS guard
 * knows the route it guards; the others' middleware runs before the route is chosen.
 */
export const FRAMEWORKS: [name: string, start: StartResourceApp, routeScopesIn401: boolean][] = [
  ['Express 5', startExpress, false],
  ['Fastify 5', startFastify, false],
  ['Hono 4', startHono, false],
  ['NestJS 11 on Fastify', startNest, true],
];
