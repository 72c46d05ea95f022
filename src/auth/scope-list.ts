import { applyDecorators } from '@nestjs/common';
import { ArrayMaxSize, ArrayUnique, IsArray, IsString, Matches } from 'class-validator';
import { LIMITS } from '../common/validation/byte-budget';
import { MaxLength } from '../common/validation/dto-fields';
import { SCOPE_PATTERN } from './scopes';

/**
 * A body's list of scopes (or scope patterns), as every route takes one: at most 50, unique,
 * each at most 128 characters of `segment(:segment)*`. Listed bottom-up, as stacked decorators
 * run, so the checks register in the order they read in a DTO.
 */
export const ScopeList = () =>
  applyDecorators(
    Matches(SCOPE_PATTERN, { each: true, message: 'each scope must match segment(:segment)*' }),
    MaxLength(LIMITS.scope, {
      each: true,
      message: `each scope must be at most ${LIMITS.scope} characters`,
    }),
    IsString({ each: true }),
    ArrayUnique(),
    ArrayMaxSize(LIMITS.scopes),
    IsArray(),
  );
