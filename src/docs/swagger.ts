import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { BEARER_ONLY, PUBLIC_OPERATION } from '../auth/decorators';
import { TAGS } from './api-tags';
import { errorExample } from './error-examples';

type Json = Record<string, unknown>;

const DESCRIPTION =
  'Multi-tenant API tokens: issue, verify, revoke and audit.\n\n' +
  'Authorize with a bearer token. Business-scoped routes (`/api/v1/**`) also need the ' +
  '`x-business-id` header: set both in the Authorize dialog. `GET /api/v1/whoami` needs the ' +
  'token alone, and says which businesses it acts in.\n\n' +
  '**Order of checks.** The body is parsed first, before authentication: JSON only, up ' +
  'to 1 MiB and 32 levels deep (400 for malformed or too deep JSON, 413 for too large, ' +
  '415 for another content type; forms only on `/oauth2/*`). An empty JSON body is no ' +
  'body. Then 401 (token), 429, 422 (`x-business-id`), 403 (business, role, scope), 422 ' +
  '(body, query, path: every string must be well-formed Unicode without U+0000, and a ' +
  '`cursor` exactly the `next_cursor` a list gave, else `INVALID_CURSOR`), and 404.\n\n' +
  '**Who may act on whose token** is one policy, printed in docs/security.md: people ' +
  "make their own tokens; a person's token is never issued or rotated " +
  'for someone else (403 `NOT_TOKEN_HOLDER`), with three named exceptions (a new ' +
  "business's owner, a new member, a re-issued first token).";

/** The OpenAPI 3 document of the app's routes, as /docs-json serves it. */
export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Latchkey')
    .setDescription(DESCRIPTION)
    .setVersion('1')
    // Relative: Swagger UI and clients call the instance that served the document.
    .addServer('/', 'This instance')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        // Not a JWT: an opaque `lk_…` string whose last 6 characters are a checksum.
        bearerFormat: 'opaque',
        description: 'An API token, e.g. lk_…',
      },
      'bearer',
    )
    .addApiKey(
      {
        type: 'apiKey',
        in: 'header',
        name: 'x-business-id',
        description: 'The business (uuid) to act in',
      },
      'business-id',
    )
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'opaque',
        description: 'GET /metrics only, when the deployment sets METRICS_TOKEN: that secret',
      },
      'metrics-token',
    );
  for (const [name, description] of TAGS) builder.addTag(name, description);
  return finish(SwaggerModule.createDocument(app, builder.build()));
}

/** Swagger UI at /docs and the OpenAPI 3 document at /docs-json, built once, when first asked. */
export function setupSwagger(app: NestFastifyApplication): void {
  // Built on the first request for it, not at start: scanning every route's metadata takes a
  // few hundred milliseconds that no probe or client of the API should wait for.
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const;

/** What the decorators cannot say by themselves, written into the document they produced. */
function finish(document: OpenAPIObject): OpenAPIObject {
  const schemas = (document.components?.schemas ?? {}) as Record<string, Json>;
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method] as Json | undefined;
      if (!operation) continue;
      secure(operation);
      examplePathIds(operation);
      exampleBody(operation, schemas);
      exampleErrors(operation, schemas);
      if (path.endsWith('/revoke')) exampleRevoked(operation, schemas);
    }
  }
  return document;
}

/**
 * An id in the path is a uuid (`uuidPipe` refuses anything else with 422): so it says. An id
 * of another shape (a webhook-id) declares its own pattern, and is left as it is.
 */
function examplePathIds(operation: Json): void {
  for (const parameter of (operation.parameters as Json[] | undefined) ?? []) {
    if (parameter.in !== 'path' || !/(^|_)id$/.test(parameter.name as string)) continue;
    if ((parameter.schema as Json | undefined)?.pattern) continue;
    parameter.schema = { ...(parameter.schema as Json), format: 'uuid' };
    parameter.example ??= EXAMPLE_ID;
  }
}

const EXAMPLE_ID = '0d9f7a52-7c1e-4f0b-9f7e-2b1f6a3c9d10';

/** A property's example, or a value of its format when it has none. */
function exampleValue(property: Json): unknown {
  if (property.example !== undefined) return property.example;
  if (property.format === 'uuid') return EXAMPLE_ID;
  if (property.format === 'date-time') return property.nullable ? null : '2026-01-01T00:00:00.000Z';
  return property.nullable ? null : '';
}

/**
 * A revoke route answers with the token as revocation left it: its success example shows a
 * revoked token, not the active one of the token view's own example.
 */
function exampleRevoked(operation: Json, schemas: Record<string, Json>): void {
  for (const [status, response] of Object.entries(operation.responses as Record<string, Json>)) {
    if (!status.startsWith('2')) continue;
    const media = (response.content as Record<string, Json> | undefined)?.['application/json'];
    const data = ((media?.schema as Json | undefined)?.properties as Json | undefined)?.data as
      Json | undefined;
    if (!media || data?.$ref !== '#/components/schemas/TokenViewDto') continue;
    const view = schemas.TokenViewDto?.properties as Record<string, Json> | undefined;
    if (!view) continue;
    const token: Json = {};
    for (const [name, property] of Object.entries(view)) token[name] = exampleValue(property);
    media.example = {
      success: true,
      message: null,
      code: null,
      data: {
        ...token,
        status: 'revoked',
        revoked_at: '2026-01-02T03:04:05.000Z',
        revoked_by: 'owner@acme.test',
        revocation_reason: 'rotated out',
      },
    };
  }
}

/**
 * `@Public()` routes need nothing (`security: []`); every other route without a requirement of
 * its own needs a bearer token, as the global guard does.
 */
function secure(operation: Json): void {
  if (operation[PUBLIC_OPERATION]) {
    operation.security = [];
    delete operation[PUBLIC_OPERATION];
  } else if (!Array.isArray(operation.security) || operation.security.length === 0) {
    operation.security = [BEARER_ONLY];
  }
}

/**
 * The request body's example, which Swagger UI sends as it is: the required fields, and the
 * optional ones that have an example. Swagger UI would otherwise make up a value for every
 * optional field, which sends mutually exclusive ones together (`expires_at` with
 * `expires_in_days`) and ids that name nothing.
 */
function exampleBody(operation: Json, schemas: Record<string, Json>): void {
  const content = (operation.requestBody as Json | undefined)?.content as
    Record<string, Json> | undefined;
  for (const media of Object.values(content ?? {})) {
    if (media.example !== undefined || media.examples !== undefined || !media.schema) continue;
    const example = sample(media.schema as Json, schemas, 0);
    if (example !== undefined) media.example = example;
  }
}

function sample(schema: Json, schemas: Record<string, Json>, depth: number): unknown {
  if (depth > 8) return undefined;
  const ref = schema.$ref as string | undefined;
  if (ref) return sample(schemas[ref.replace('#/components/schemas/', '')] ?? {}, schemas, depth);
  if (schema.example !== undefined) return schema.example;
  const allOf = schema.allOf as Json[] | undefined;
  if (allOf?.length === 1) return sample(allOf[0], schemas, depth);
  if (schema.type !== 'object' || !schema.properties) return undefined;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const out: Json = {};
  for (const [name, property] of Object.entries(schema.properties as Record<string, Json>)) {
    const value = sample(property, schemas, depth + 1);
    if (value !== undefined) out[name] = value;
    else if (required.has(name)) return undefined;
  }
  return out;
}

/**
 * Each documented error answer (`ApiErrors`) is JSON, even on a route that produces NDJSON or CSV,
 * and its example is its own: its first code, with a message the API really answers with.
 */
function exampleErrors(operation: Json, schemas: Record<string, Json>): void {
  for (const [status, response] of Object.entries(operation.responses as Record<string, Json>)) {
    const content = response.content as Record<string, Json> | undefined;
    const schema = Object.values(content ?? {})[0]?.schema as Json | undefined;
    const allOf = schema?.allOf as Json[] | undefined;
    const codes = ((allOf?.[1]?.properties as Json | undefined)?.code as Json | undefined)?.enum as
      string[] | undefined;
    if (!schema || !codes?.length) continue;
    const example = errorExample(Number(status), codes[0], validationIssue(operation, schemas));
    response.content = { 'application/json': { schema, ...(example ? { example } : {}) } };
  }
}

/**
 * What a 422 of this route really says first: a required body field left out, else a path id
 * that is no uuid, else (a business-scoped route) the missing `x-business-id`, as the
 * validation pipe and the business-scope guard word them.
 */
function validationIssue(operation: Json, schemas: Record<string, Json>): Json | undefined {
  const content = (operation.requestBody as Json | undefined)?.content as
    Record<string, Json> | undefined;
  let body = Object.values(content ?? {})[0]?.schema as Json | undefined;
  const ref = body?.$ref as string | undefined;
  if (ref) body = schemas[ref.replace('#/components/schemas/', '')];
  const required = (body?.required as string[] | undefined)?.[0];
  if (required) return { loc: ['body', required], msg: 'Field required', type: 'missing' };
  const id = ((operation.parameters as Json[] | undefined) ?? []).find((p) => p.in === 'path');
  if (id) {
    return {
      loc: ['path', id.name],
      msg: 'Input should be a valid UUID',
      type: 'uuid_parsing',
      input: 'not-a-uuid',
    };
  }
  const businessScoped = JSON.stringify(operation.security ?? []).includes('business-id');
  if (businessScoped) {
    return { loc: ['header', 'x-business-id'], msg: 'Field required', type: 'missing' };
  }
  return undefined;
}
