import { applyDecorators, RequestMethod, Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import {
  ApiExtraModels,
  ApiProperty,
  ApiResponse,
  DECORATORS,
  getSchemaPath,
} from '@nestjs/swagger';

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
    for (const handler of routeHandlersOf(target)) {
      Reflect.defineMetadata(RAW_RESPONSE, true, handler);
    }
  };

/**
 * The route handlers of a controller class: its prototype's methods that carry a route path. A
 * class decorator runs after its methods' decorators, so every handler is marked by then.
 */
function routeHandlersOf(target: object): object[] {
  const proto = (target as { prototype: Record<string, unknown> }).prototype;
  return Object.getOwnPropertyNames(proto)
    .filter((name) => name !== 'constructor')
    .map((name) => proto[name])
    .filter(
      (member): member is object =>
        typeof member === 'function' && Reflect.hasMetadata(PATH_METADATA, member),
    );
}

/**
 * The error shape. `code` is a plain string here; each documented error answer narrows it to
 * the codes that answer can carry (see `ApiErrors`).
 */
export class ErrorBodyDto {
  @ApiProperty({ type: Boolean, enum: [false], example: false })
  success!: false;
  @ApiProperty({ type: String, example: 'Token not found' })
  message!: string;
  @ApiProperty({ type: String, example: 'TOKEN_NOT_FOUND' })
  code!: string;
  @ApiProperty({
    oneOf: [
      { type: 'string' },
      {
        type: 'array',
        items: {
          type: 'object',
          required: ['loc', 'msg', 'type'],
          properties: {
            loc: { type: 'array', items: { oneOf: [{ type: 'string' }, { type: 'integer' }] } },
            msg: { type: 'string' },
            type: { type: 'string' },
            input: { description: 'The value that failed, when there was one' },
            ctx: { type: 'object', additionalProperties: true },
          },
        },
      },
    ],
    description: 'The message again, or for 422 the list of what was wrong, and where',
    example: 'Token not found',
  })
  detail!: string | object[];
  @ApiProperty({ type: String, example: '3f2c1d7e-8a7b-4b7e-9d55-2b0c3f1e9a10', nullable: true })
  request_id!: string | null;
}

/**
 * Documents a success response in the envelope, with `data` of the given DTO (or a page of
 * them, `items` with `next_cursor`, when `paginated`; a page's `cursor` can be refused), and
 * `code` null or one of `codes`: a success worth naming (`ALREADY_REVOKED`), see `Outcome`.
 */
export function ApiEnvelope(
  status: number,
  model: Type<unknown> | null,
  options: { description?: string; paginated?: boolean; codes?: string[] } = {},
) {
  let data: Record<string, unknown> = { nullable: true, example: null };
  if (model && options.paginated) {
    data = {
      type: 'object',
      required: ['items', 'next_cursor'],
      properties: {
        items: { type: 'array', items: { $ref: getSchemaPath(model) } },
        next_cursor: { type: 'string', nullable: true, example: null },
      },
    };
  } else if (model) {
    data = { $ref: getSchemaPath(model) };
  }
  return applyDecorators(
    ...(options.paginated ? [ApiErrors({ 422: ['INVALID_CURSOR'] })] : []),
    ApiExtraModels(...(model ? [model] : [])),
    ApiResponse({
      status,
      description: options.description ?? 'Success',
      schema: {
        type: 'object',
        required: ['success', 'message', 'code', 'data'],
        properties: {
          success: { type: 'boolean', enum: [true], example: true },
          message: { type: 'string', nullable: true, example: null },
          code: {
            type: 'string',
            nullable: true,
            ...(options.codes?.length ? { enum: [...options.codes, null] } : {}),
            example: null,
          },
          data,
        },
      },
    }),
  );
}

/** The error codes a route documents, by status, with a note for some (`CODE (note)`). */
export type ErrorCatalog = Record<number, string[]>;

const API_ERRORS = 'latchkey:api-errors';
const CODE_WITH_NOTE = /^([A-Z][A-Z0-9_]*)(?: \((.+)\))?$/;

/**
 * Documents the error answers of a route, or of every route of a controller, each with the codes
 * it can carry. Codes add up: a controller's 403 codes (`@BusinessScoped()`) and a handler's
 * (`INSUFFICIENT_ROLE`) make one 403 answer listing both, where two plain `@ApiResponse`s for the
 * same status would keep only the handler's. Each answer's schema narrows `code` to its own
 * codes, and its description starts "Error codes: A, B", which the error-catalog spec reads.
 */
export function ApiErrors(errors: ErrorCatalog): ClassDecorator & MethodDecorator {
  return (target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (descriptor) {
      addErrors(descriptor.value as object, errors);
      return;
    }
    for (const handler of routeHandlersOf(target)) addErrors(handler, errors);
  };
}

/**
 * Documents, on every handler of a controller that takes a body (any method but GET, whose body
 * Fastify does not read), the answers the body parser gives before authentication.
 */
export function ApiBodyErrors(): ClassDecorator {
  return (target: object) => {
    for (const handler of routeHandlersOf(target)) {
      if (Reflect.getMetadata(METHOD_METADATA, handler) === RequestMethod.GET) continue;
      addErrors(handler, {
        400: ['BAD_REQUEST (malformed JSON, or nested deeper than 32 levels)'],
        413: ['PAYLOAD_TOO_LARGE (a body over 1 MiB)'],
        415: ['UNSUPPORTED_MEDIA_TYPE (a body that is not JSON)'],
      });
    }
  };
}

/** The headers an error answer carries by its status (RFC 6750 §3, RFC 9110 §10.2.3). */
const ERROR_HEADERS: Record<number, Record<string, unknown>> = {
  401: {
    'WWW-Authenticate': {
      description: 'The bearer challenge',
      schema: { type: 'string', example: 'Bearer error="invalid_token"' },
    },
  },
  429: {
    'Retry-After': {
      description: 'Seconds to wait before trying again',
      schema: { type: 'integer', example: 30 },
    },
  },
  503: {
    'Retry-After': {
      description: 'Seconds to wait before trying again',
      schema: { type: 'integer', example: 5 },
    },
  },
};

function addErrors(handler: object, errors: ErrorCatalog): void {
  const known = (Reflect.getMetadata(API_ERRORS, handler) ?? {}) as Record<
    number,
    Map<string, string[]>
  >;
  for (const [status, entries] of Object.entries(errors)) {
    const codes = (known[Number(status)] ??= new Map<string, string[]>());
    for (const entry of entries) {
      const match = CODE_WITH_NOTE.exec(entry);
      if (!match) throw new Error(`ApiErrors: "${entry}" is not CODE or CODE (note)`);
      const notes = codes.get(match[1]) ?? [];
      if (match[2] && !notes.includes(match[2])) notes.push(match[2]);
      codes.set(match[1], notes);
    }
  }
  Reflect.defineMetadata(API_ERRORS, known, handler);
  const responses = {
    ...((Reflect.getMetadata(DECORATORS.API_RESPONSE, handler) ?? {}) as Record<string, unknown>),
  };
  for (const [status, codes] of Object.entries(known)) {
    const notes = [...codes].flatMap(([code, n]) => n.map((note) => `${code}: ${note}.`));
    responses[status] = {
      description: [`Error codes: ${[...codes.keys()].join(', ')}`, ...notes].join('\n\n'),
      schema: {
        allOf: [
          { $ref: getSchemaPath(ErrorBodyDto) },
          {
            type: 'object',
            required: ['code'],
            properties: { code: { type: 'string', enum: [...codes.keys()] } },
          },
        ],
      },
      ...(ERROR_HEADERS[Number(status)] ? { headers: ERROR_HEADERS[Number(status)] } : {}),
      isArray: false,
    };
  }
  Reflect.defineMetadata(DECORATORS.API_RESPONSE, responses, handler);
  const models = (Reflect.getMetadata(DECORATORS.API_EXTRA_MODELS, handler) ?? []) as unknown[];
  if (!models.includes(ErrorBodyDto)) {
    Reflect.defineMetadata(DECORATORS.API_EXTRA_MODELS, [...models, ErrorBodyDto], handler);
  }
}
