import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** Swagger UI at /docs and the OpenAPI 3 document at /docs-json, built once, when first asked. */
export function setupSwagger(app: NestFastifyApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Latchkey')
    .setDescription(
      'Multi-tenant API tokens: issue, verify, revoke and audit.\n\n' +
        'Authorize with a bearer token. Business-scoped routes (`/api/v1/**`) also need the ' +
        '`x-business-id` header: set both in the Authorize dialog.\n\n' +
        '**Order of checks.** The body is parsed first, before authentication: JSON only, up ' +
        'to 1 MiB and 32 levels deep (400 for malformed or too deep JSON, 413 for too large, ' +
        '415 for another content type; forms only on `/oauth2/*`). An empty JSON body is no ' +
        'body. Then 401 (token), 429, 422 (`x-business-id`), 403 (business, role, scope), 422 ' +
        '(body, query, path: every string must be well-formed Unicode without U+0000, and a ' +
        '`cursor` exactly the `next_cursor` a list gave, else `INVALID_CURSOR`), and 404.\n\n' +
        "**Who may act on whose token** is one policy, printed in the README's Security " +
        "model: people make their own tokens; a person's token is never issued or rotated " +
        'for someone else (403 `NOT_TOKEN_HOLDER`), with three named exceptions (a new ' +
        "business's owner, a new member, a re-issued first token).",
    )
    .setVersion('1')
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'An API token, e.g. lk_…' },
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
    .build();
  // Built on the first request for it, not at start: scanning every route's metadata takes a
  // few hundred milliseconds that no probe or client of the API should wait for.
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, config), {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
}
