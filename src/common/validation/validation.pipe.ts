import {
  ArgumentMetadata,
  HttpException,
  Injectable,
  ParseUUIDPipe,
  ValidationPipe,
} from '@nestjs/common';
import { ValidationError } from 'class-validator';
import { DomainError, RequestValidationError, ValidationIssue } from '../errors/domain-error';
import { nullIssues } from './null-fields';
import { redactSecrets } from '../errors/safe-error';
import { isCleanText } from './text';

type Location = 'body' | 'query' | 'path' | 'header';

// Fields whose values are never echoed back in `input`: they may hold a secret. `hash` and
// `keys` (an import's keys, by hash): a token's hash is what the verifier looks up, and one
// malformed (63 characters, upper case) escapes the mask of `echoed`.
const SECRET_FIELDS = new Set([
  'token',
  'access_token',
  'refresh_token',
  'secret',
  'password',
  'hash',
  'keys',
]);

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
  noSecret: 'secret_in_text',
  nestedValidation: 'model_type',
};

/**
 * The constraints that check a value's type. When one fails, the value is of the wrong type, and
 * every other constraint on it (lengths, ranges, patterns) would only say so again, confusingly:
 * the caller gets the one message that names the type expected.
 */
const TYPE_CONSTRAINTS = new Set([
  'isString',
  'isInt',
  'isNumber',
  'isBoolean',
  'isArray',
  'isDate',
  'isObject',
]);

/** The most of a value an error echoes in `input`. */
export const ECHO_MAX = 64;

/**
 * What an error may say back of a value: scalars as they are, text clipped to ECHO_MAX with a
 * marker, a list or an object as clipped JSON; anything shaped like a token or a token hash
 * masked first, in every field, known or not. A 100,000-character name gets a small error, and
 * a live token pasted into a misspelt field never comes back in it.
 */
export function echoed(value: unknown): unknown {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'string') return clip(redactSecrets(value));
  if (value === undefined) return undefined;
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    json = undefined;
  }
  return clip(redactSecrets(json ?? typeof value));
}

function clip(text: string): string {
  return text.length <= ECHO_MAX ? text : `${text.slice(0, ECHO_MAX)}…`;
}

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
        const failed = Object.entries(error.constraints);
        const wrongType = failed.filter(([constraint]) => TYPE_CONSTRAINTS.has(constraint));
        for (const [constraint, msg] of wrongType.length > 0 ? wrongType.slice(0, 1) : failed) {
          const issue: ValidationIssue = {
            loc: [location, ...loc],
            msg,
            type: typeName(constraint),
          };
          // The value of a secret_in_text issue is the secret: never echoed, even masked.
          if (!SECRET_FIELDS.has(error.property) && constraint !== 'noSecret') {
            issue.input = echoed(error.value);
          }
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
      if (e instanceof PendingValidationErrors) throw validationError(toIssues(e.errors, location));
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
    if (isDto && location === 'body') {
      const nulls = nullIssues(value as Record<string, unknown>, metadata.metatype as never);
      if (nulls.length > 0) throw new RequestValidationError(nulls);
    }
    const quick = isDto ? quickAccepts.get(metadata.metatype) : undefined;
    const accepted = quick?.(value as Readonly<Record<string, unknown>>);
    if (accepted) return Object.assign(new (metadata.metatype as new () => object)(), accepted);
    return super.transform(value, metadata);
  }
}

type QuickAcceptance = (plain: Readonly<Record<string, unknown>>) => object | undefined;

/** Each DTO class's quick acceptance, by the class itself: a subclass does not inherit it. */
const quickAccepts = new WeakMap<object, QuickAcceptance>();

/**
 * A DTO's quick check for a hot route, where class-transformer and class-validator cost more
 * than the route's own work (docs/performance.md, "The token list"). `accept` gives the
 * instance's fields for the plain input it knows to be valid, exactly as the full check would
 * make them, and undefined for anything else, which the full check then judges: every refusal,
 * and so every 422 body, still comes from the full check.
 */
export function QuickAccept(accept: QuickAcceptance): ClassDecorator {
  return (target) => void quickAccepts.set(target, accept);
}

/** The 422 for these issues: `SECRET_IN_TEXT` when a token was pasted into text, so says the code. */
export function validationError(issues: ValidationIssue[]): RequestValidationError {
  return issues.some((i) => i.type === 'secret_in_text')
    ? new RequestValidationError(issues, 'SECRET_IN_TEXT')
    : new RequestValidationError(issues);
}

/** Carries class-validator's errors out of the base pipe to where the location is known. */
class PendingValidationErrors extends Error {
  constructor(readonly errors: ValidationError[]) {
    super('validation failed');
  }
}

/**
 * ParseUUIDPipe that answers 422 with the parameter's path, not Nest's default 400, and hands on
 * the uuid in lowercase: a uuid's case means nothing (RFC 9562), and PostgreSQL's uuid column
 * ignores it while SQLite's text column would not, so both find the same row.
 */
class LowercaseUuidPipe extends ParseUUIDPipe {
  override async transform(value: string, metadata: ArgumentMetadata): Promise<string> {
    return (await super.transform(value, metadata)).toLowerCase();
  }
}

export function uuidPipe(name: string): ParseUUIDPipe {
  return new LowercaseUuidPipe({
    exceptionFactory: () =>
      new RequestValidationError([
        { loc: ['path', name], msg: 'Input should be a valid UUID', type: 'uuid_parsing' },
      ]),
  });
}
