import { applyDecorators, Type } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiResponse, getSchemaPath } from '@nestjs/swagger';

/** A success answer with a message or code, for outcomes that are success but worth naming. */
export class Outcome<T> {
  constructor(
    readonly data: T,
    readonly code: string | null = null,
    readonly message: string | null = null,
  ) {}
}

export interface Envelope<T> {
  success: true;
  message: string | null;
  code: string | null;
  data: T;
}

export function envelope<T>(value: T | Outcome<T>): Envelope<T> {
  if (value instanceof Outcome) {
    return { success: true, message: value.message, code: value.code, data: value.data };
  }
  return { success: true, message: null, code: null, data: value };
}

export const RAW_RESPONSE = 'latchkey:raw-response';

/**
 * The handler answers its own shape (RFC 7009/7662, streams, health), not the envelope. On a
 * class it marks every handler of the class: the mark lives on the handler functions, since
 * that is what Nest hands Fastify when it registers a route (see `registerEnvelope`).
 */
export const RawResponse =
  (): ClassDecorator & MethodDecorator =>
  (target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (descriptor) {
      Reflect.defineMetadata(RAW_RESPONSE, true, descriptor.value as object);
      return;
    }
    const proto = (target as { prototype: Record<string, unknown> }).prototype;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const member = proto[name];
      if (name !== 'constructor' && typeof member === 'function') {
        Reflect.defineMetadata(RAW_RESPONSE, true, member);
      }
    }
  };

export class ErrorBodyDto {
  @ApiProperty({ example: false })
  success!: boolean;
  @ApiProperty({ example: 'Token not found' })
  message!: string;
  @ApiProperty({ example: 'TOKEN_NOT_FOUND' })
  code!: string;
  @ApiProperty({
    oneOf: [
      { type: 'string' },
      {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            loc: { type: 'array', items: { oneOf: [{ type: 'string' }, { type: 'integer' }] } },
            msg: { type: 'string' },
            type: { type: 'string' },
            input: {},
            ctx: { type: 'object' },
          },
        },
      },
    ],
    example: 'Token not found',
  })
  detail!: string | object[];
  @ApiProperty({ example: '3f2c1d7e-8a7b-4b7e-9d55-2b0c3f1e9a10', nullable: true })
  request_id!: string | null;
}

/**
 * Documents a success response in the envelope, with `data` of the given DTO (or a page of
 * them, `items` with `next_cursor`, when `paginated`).
 */
export function ApiEnvelope(
  status: number,
  model: Type<unknown> | null,
  options: { description?: string; paginated?: boolean } = {},
) {
  let data: Record<string, unknown> = { nullable: true, example: null };
  if (model && options.paginated) {
    data = {
      type: 'object',
      properties: {
        items: { type: 'array', items: { $ref: getSchemaPath(model) } },
        next_cursor: { type: 'string', nullable: true, example: null },
      },
    };
  } else if (model) {
    data = { $ref: getSchemaPath(model) };
  }
  return applyDecorators(
    ApiExtraModels(...(model ? [model] : [])),
    ApiResponse({
      status,
      description: options.description ?? 'Success',
      schema: {
        type: 'object',
        required: ['success', 'message', 'code', 'data'],
        properties: {
          success: { type: 'boolean', example: true },
          message: { type: 'string', nullable: true, example: null },
          code: { type: 'string', nullable: true, example: null },
          data,
        },
      },
    }),
  );
}

/** Documents the error answers of a route, each with the codes it can carry. */
export function ApiErrors(errors: Record<number, string[]>) {
  return applyDecorators(
    ...Object.entries(errors).map(([status, codes]) =>
      ApiResponse({
        status: Number(status),
        description: `Error codes: ${codes.join(', ')}`,
        type: ErrorBodyDto,
      }),
    ),
  );
}
