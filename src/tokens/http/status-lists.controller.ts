import { Controller, Get, Headers, Param, Res } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../../auth/decorators';
import { ApiErrors, RawResponse } from '../../common/http/envelope';
import { uuidPipe } from '../../common/validation/validation.pipe';
import { StatusListService } from '../status/status-list.service';
import { listMediaType, STATUS_LIST_JSON, STATUS_LIST_JWT } from '../status/token-status-list';
import { TokenError } from '../token-error';

/**
 * Token Status Lists (draft-ietf-oauth-status-list-21, section 8): public, since a list says
 * nothing of which token a relying party holds, and its id is random. The signed JWT by default;
 * the bare JSON when asked for by `Accept`.
 */
@ApiTags('status lists')
@RawResponse()
@Controller('status-lists')
export class StatusListsController {
  constructor(private readonly lists: StatusListService) {}

  @Get(':list_id')
  @Public()
  @ApiOperation({
    operationId: 'getStatusList',
    summary: 'A Token Status List: the bits that say whether each token in it is valid',
    description:
      'Every token has a place in a list of its business (`status_list: {idx, uri}` in its view, ' +
      'the introspection answer and the `x-latchkey-status-list` header of /auth/verify). The ' +
      'statuses take 2 bits: 0 valid, 1 invalid (revoked or expired), 2 suspended (paused, or ' +
      'its business suspended). The JWT (`typ: statuslist+jwt`) is signed with a key of ' +
      '/.well-known/jwks.json; fetch it again after `ttl` seconds. `If-None-Match` answers 304 ' +
      'while it is unchanged.',
  })
  @ApiParam({ name: 'list_id', format: 'uuid', description: 'The list, as `uri` names it' })
  @ApiHeader({
    name: 'accept',
    required: false,
    description: `${STATUS_LIST_JWT} (the default) or ${STATUS_LIST_JSON}`,
  })
  @ApiResponse({
    status: 200,
    description: 'The list, as a signed JWT or as JSON',
    content: {
      [STATUS_LIST_JWT]: { schema: { type: 'string', example: 'eyJhbGciOiJFUzI1NiIs…' } },
      [STATUS_LIST_JSON]: {
        schema: {
          type: 'object',
          required: ['sub', 'iat', 'exp', 'ttl', 'status_list'],
          properties: {
            sub: { type: 'string', example: 'https://latchkey.example.com/status-lists/…' },
            iat: { type: 'integer', example: 1764806400 },
            exp: { type: 'integer', example: 1764806520 },
            ttl: { type: 'integer', example: 60 },
            status_list: {
              type: 'object',
              required: ['bits', 'lst'],
              properties: {
                bits: { type: 'integer', enum: [2] },
                lst: {
                  type: 'string',
                  example: 'eNrtwTEBAAAAwqD1T20ND6AAAAAAAAAAAAAAAAAAAAAAAIA3AdIAAQ',
                },
              },
            },
          },
        },
      },
    },
  })
  @ApiResponse({ status: 304, description: 'Unchanged since the ETag given in If-None-Match' })
  @ApiErrors({ 404: ['STATUS_LIST_NOT_FOUND'], 422: ['VALIDATION_ERROR'] })
  async get(
    @Param('list_id', uuidPipe('list_id')) listId: string,
    @Headers('accept') accept: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const served = await this.lists.served(listId);
    if (!served) throw new TokenError('STATUS_LIST_NOT_FOUND');
    const json = listMediaType(accept) === STATUS_LIST_JSON;
    const { body, etag } = json ? served.json : served.jwt;
    const maxAge = Math.max(0, Math.floor((served.until - Date.now()) / 1000));
    void reply
      .header('cache-control', `public, max-age=${maxAge}`)
      .header('etag', etag)
      .header('vary', 'accept');
    if (matches(ifNoneMatch, etag)) {
      void reply.status(304).send();
      return;
    }
    void reply
      .status(200)
      .header('content-type', json ? STATUS_LIST_JSON : STATUS_LIST_JWT)
      .send(body);
  }
}

/** RFC 9110 section 13.1.2: a list of ETags, or `*`; weak tags compare equal to strong ones. */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === etag);
}
