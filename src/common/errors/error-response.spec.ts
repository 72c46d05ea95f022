import { BadRequestException, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import {
  QueryFailedError,
  QueryRunnerAlreadyReleasedError,
  QueryRunnerProviderAlreadyReleasedError,
} from 'typeorm';
import { DomainError, RequestValidationError, StorageUnavailableError } from './domain-error';
import { toErrorResponse } from './error-response';

/** A feature's error as features write them: its own codes, each with its status and message. */
const SAMPLE_ERRORS = {
  LAST_OWNER: { status: 409, message: 'The last owner stays' },
  UNKNOWN_VALUE: { status: 422, message: 'Unknown value' },
  GONE_TOKEN: { status: 401, message: 'Token gone' },
} as const;
class SampleError extends DomainError<keyof typeof SAMPLE_ERRORS> {
  constructor(code: keyof typeof SAMPLE_ERRORS, detail?: string, headers?: Record<string, string>) {
    super(code, SAMPLE_ERRORS[code], detail, headers);
  }
}

describe(toErrorResponse.name, () => {
  it('maps a domain error to its status, code and message, with the request id', () => {
    const sut = toErrorResponse(new SampleError('LAST_OWNER'), 'req-1');
    expect(sut.status).toBe(409);
    expect(sut.body).toEqual({
      success: false,
      message: 'The last owner stays',
      code: 'LAST_OWNER',
      detail: 'The last owner stays',
      request_id: 'req-1',
    });
    expect(sut.unexpected).toBe(false);
  });

  it("answers with its code's one message, and what the throw site knows as the detail", () => {
    const sut = toErrorResponse(new SampleError('LAST_OWNER', 'Owner a@b.test is the last'), null);
    expect(sut.body).toMatchObject({
      message: 'The last owner stays',
      detail: 'Owner a@b.test is the last',
    });
  });

  it("answers with the status of the feature's table", () => {
    const sut = toErrorResponse(new SampleError('UNKNOWN_VALUE', 'invalid token'), null);
    expect(sut.status).toBe(422);
    expect(sut.body.code).toBe('UNKNOWN_VALUE');
  });

  it("carries a domain error's own headers", () => {
    const challenge = { 'www-authenticate': 'Bearer error="invalid_token"' };
    const sut = toErrorResponse(new SampleError('GONE_TOKEN', 'revoked', challenge), null);
    expect(sut.status).toBe(401);
    expect(sut.headers).toEqual(challenge);
  });

  it('puts the issue list of a validation error in detail', () => {
    const issues = [{ loc: ['body', 'name'], msg: 'Field required', type: 'missing' }];
    const sut = toErrorResponse(new RequestValidationError(issues), 'r');
    expect(sut.status).toBe(422);
    expect(sut.body.detail).toEqual(issues);
  });

  it('maps framework HTTP exceptions to codes by status', () => {
    expect(toErrorResponse(new BadRequestException('bad'), null).body.code).toBe('BAD_REQUEST');
    expect(toErrorResponse(new PayloadTooLargeException(), null).body.code).toBe(
      'PAYLOAD_TOO_LARGE',
    );
    expect(toErrorResponse(new NotFoundException('Cannot GET /x'), null).body.code).toBe(
      'ROUTE_NOT_FOUND',
    );
  });

  it('maps a body-parser error with a 4xx statusCode to that status', () => {
    const err = Object.assign(new SyntaxError('Unexpected token'), { statusCode: 400 });
    const sut = toErrorResponse(err, null);
    expect(sut.status).toBe(400);
    expect(sut.body.message).toBe('Malformed JSON body');
  });

  it('hides what a 500 was about', () => {
    const sut = toErrorResponse(new Error('secret internals at /srv/app.ts:42'), 'r');
    expect(sut.status).toBe(500);
    expect(sut.body.message).toBe('Internal server error');
    expect(JSON.stringify(sut.body)).not.toContain('internals');
    expect(sut.unexpected).toBe(true);
  });

  it('answers 503 with Retry-After when the database cannot be reached', () => {
    const driverError = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
      code: 'ECONNREFUSED',
    });
    const sut = toErrorResponse(new QueryFailedError('SELECT 1', [], driverError), null);
    expect(sut.status).toBe(503);
    expect(sut.body.code).toBe('STORAGE_UNAVAILABLE');
    expect(sut.headers['retry-after']).toBe('5');
  });

  it.each([
    [
      'statement_timeout cancelled it (57014)',
      Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }),
    ],
    ['the server went silent', new Error('Query read timeout')],
    [
      'its backend was terminated (57P01)',
      Object.assign(new Error('terminating connection due to administrator command'), {
        code: '57P01',
      }),
    ],
    ['the connection dropped', new Error('Connection terminated unexpectedly')],
    ['no connection came in time', new Error('Connection terminated due to connection timeout')],
    [
      'the pool had no free connection in time',
      new Error('timeout exceeded when trying to connect'),
    ],
    [
      'its client had failed',
      new Error('Client has encountered a connection error and is not queryable'),
    ],
  ])('answers 503 with Retry-After for a query that failed because %s', (_why, driverError) => {
    const sut = toErrorResponse(new QueryFailedError('SELECT 1', [], driverError), 'r');
    expect(sut.status).toBe(503);
    expect(sut.headers['retry-after']).toBe('5');
    expect(sut.body).toMatchObject({
      success: false,
      code: 'STORAGE_UNAVAILABLE',
      request_id: 'r',
    });
  });

  it('answers 503 for a statement on a query runner that TypeORM released when its connection failed', () => {
    const sut = toErrorResponse(new QueryRunnerAlreadyReleasedError(), null);
    expect(sut.status).toBe(503);
    expect(sut.headers['retry-after']).toBe('5');
    const provider = toErrorResponse(new QueryRunnerProviderAlreadyReleasedError(), null);
    expect(provider.status).toBe(503);
  });

  it('does not leak the parameters of a failed query', () => {
    const hash = 'a'.repeat(64);
    const err = new QueryFailedError('INSERT ...', [hash], new Error('duplicate key'));
    const sut = toErrorResponse(err, null);
    expect(sut.status).toBe(500);
    expect(JSON.stringify(sut.body)).not.toContain(hash);
  });

  it('answers a storage-unavailable domain error with 503 and Retry-After', () => {
    const sut = toErrorResponse(new StorageUnavailableError(), null);
    expect(sut.status).toBe(503);
    expect(sut.headers['retry-after']).toBe('5');
    expect(sut.unexpected).toBe(false);
  });

  it('answers the library ThrottlerException in the error shape, with Retry-After', () => {
    const sut = toErrorResponse(new ThrottlerException(), 'r');
    expect(sut.status).toBe(429);
    expect(sut.body.code).toBe('RATE_LIMITED');
    expect(sut.headers['retry-after']).toMatch(/^\d+$/);
  });
});
