import {
  ArgumentMetadata,
  HttpException,
  Injectable,
  ParseUUIDPipe,
  ValidationPipe,
} from '@nestjs/common';
import { ValidationError } from 'class-validator';
import { DomainError, RequestValidationError, ValidationIssue } from './domain-error';
import { isCleanText } from './text';

type Location = 'body' | 'query' | 'path' | 'header';

// Fields whose values are never echoed back in `input`: they may hold a secret.
const SECRET_FIELDS = new Set(['token', 'access_token', 'refresh_token', 'secret', 'password']);

const TYPE_NAMES: Record<string, string> = {
  whitelistValidation: 'extra_forbidden',
  isDefined: 'missing',
  isString: 'string_type',
  isInt: 'int_type',
  isNumber: 'number_type',
  isBoolean: 'bool_type',
  isArray: 'list_type',
  isEmail: 'email',
  isUuid: 'uuid',
  isEnum: 'enum',
  isIn: 'enum',
  isDateString: 'datetime',
  isIso8601: 'datetime',
  min: 'greater_than_equal',
  max: 'less_than_equal',
  minLength: 'string_too_short',
  maxLength: 'string_too_long',
  length: 'string_length',
  arrayMaxSize: 'too_long',
  arrayMinSize: 'too_short',
  matches: 'string_pattern_mismatch',
  nestedValidation: 'model_type',
};

function typeName(constraint: string): string {
  return TYPE_NAMES[constraint] ?? constraint.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** Flattens class-validator's tree into one issue per failed constraint, with its path. */
export function toIssues(errors: ValidationError[], location: Location): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const walk = (error: ValidationError, path: (string | number)[]) => {
    const loc = [...path, /^\d+$/.test(error.property) ? Number(error.property) : error.property];
    const missing = error.value === undefined && !error.constraints?.whitelistValidation;
    if (error.constraints) {
      if (missing) {
        issues.push({ loc: [location, ...loc], msg: 'Field required', type: 'missing' });
      } else {
        for (const [constraint, msg] of Object.entries(error.constraints)) {
          const issue: ValidationIssue = {
            loc: [location, ...loc],
            msg,
            type: typeName(constraint),
          };
          if (!SECRET_FIELDS.has(error.property)) issue.input = error.value;
          issues.push(issue);
        }
      }
    }
    for (const child of error.children ?? []) walk(child, loc);
  };
  for (const error of errors) walk(error, []);
  return issues;
}

/**
 * Every string (and key) in a parsed body, query or path that is not clean text, with its
 * place. A loop over an explicit stack, not recursion: the body parser bounds the depth, but
 * nothing here relies on it.
 */
export function uncleanText(value: unknown, location: Location): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const issue = (loc: (string | number)[]) =>
    issues.push({
      loc: [location, ...loc],
      msg: 'Input should be well-formed Unicode text without U+0000',
      type: 'string_unicode',
    });
  const stack: [unknown, (string | number)[]][] = [[value, []]];
  while (stack.length > 0) {
    const [item, loc] = stack.pop()!;
    if (typeof item === 'string') {
      if (!isCleanText(item)) issue(loc);
    } else if (Array.isArray(item)) {
      item.forEach((child, i) => stack.push([child, [...loc, i]]));
    } else if (item !== null && typeof item === 'object') {
      for (const [key, child] of Object.entries(item)) {
        if (!isCleanText(key)) issue([...loc, key]);
        else stack.push([child, [...loc, key]]);
      }
    }
  }
  return issues.reverse();
}

function locationOf(metadata: ArgumentMetadata): Location {
  switch (metadata.type) {
    case 'body':
      return 'body';
    case 'query':
      return 'query';
    case 'param':
      return 'path';
    case 'custom':
      return 'body';
  }
}

/**
 * The one ValidationPipe of the app. It knows which part of the request it checks, so that a
 * failure answers 422 with `loc` starting at body, query or path, as FastAPI does.
 */
@Injectable()
export class RequestValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      validateCustomDecorators: false,
      exceptionFactory: (errors) => new PendingValidationErrors(errors),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // `@Ctx()` and other custom parameters are the app's own objects, not input.
    if (metadata.type === 'custom') return value;
    const location = locationOf(metadata);
    try {
      return await this.check(value, metadata, location);
    } catch (e) {
      if (e instanceof PendingValidationErrors) {
        throw new RequestValidationError(toIssues(e.errors, location));
      }
      if (e instanceof DomainError || e instanceof HttpException) throw e;
      // A validator or transform that throws met input it could not handle: that is the
      // input's fault, so a 422 for where it came from, never a 500.
      throw new RequestValidationError([
        { loc: [location], msg: 'Input could not be validated', type: 'value_error' },
      ]);
    }
  }

  private async check(
    value: unknown,
    metadata: ArgumentMetadata,
    location: Location,
  ): Promise<unknown> {
    // First, before any validator sees it: text that is not well-formed (or holds NUL) would be
    // stored differently by each database, and breaks some validators.
    const unclean = uncleanText(value, location);
    if (unclean.length > 0) throw new RequestValidationError(unclean);
    const isDto = typeof metadata.metatype === 'function' && this.toValidate(metadata);
    // No body at all is checked as an empty object, so each required field is reported missing.
    if (isDto && location !== 'path' && (value === undefined || value === null)) value = {};
    if (isDto && location !== 'path' && (typeof value !== 'object' || Array.isArray(value))) {
      throw new RequestValidationError([
        { loc: [location], msg: 'Input should be an object', type: 'model_attributes_type' },
      ]);
    }
    return super.transform(value, metadata);
  }
}

/** Carries class-validator's errors out of the base pipe to where the location is known. */
class PendingValidationErrors extends Error {
  constructor(readonly errors: ValidationError[]) {
    super('validation failed');
  }
}

/** ParseUUIDPipe that answers 422 with the parameter's path, not Nest's default 400. */
export function uuidPipe(name: string): ParseUUIDPipe {
  return new ParseUUIDPipe({
    exceptionFactory: () =>
      new RequestValidationError([
        { loc: ['path', name], msg: 'Input should be a valid UUID', type: 'uuid_parsing' },
      ]),
  });
}
