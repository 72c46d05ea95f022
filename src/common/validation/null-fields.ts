import { getMetadataStorage, ValidationTypes } from 'class-validator';
import type { ValidationIssue } from '../errors/domain-error';

/**
 * Where `@nestjs/swagger` keeps a DTO property's OpenAPI options (its `DECORATORS.
 * API_MODEL_PROPERTIES`, which the package does not export). Its mapped types (`PartialType`,
 * `OmitType`, …) copy it, so a derived DTO says what its source says.
 */
const OPENAPI_PROPERTY = 'swagger/apiModelProperties';

/** What a body field may be: null only where its OpenAPI schema says `nullable`. */
interface NullRule {
  nullable: boolean;
  /** `@IsOptional()`: the field may be left out. */
  optional: boolean;
}

const RULES = new WeakMap<object, Map<string, NullRule>>();

/** The null rule of each property a DTO class validates or documents. */
function rulesOf(dto: abstract new () => unknown): Map<string, NullRule> {
  let rules = RULES.get(dto);
  if (rules) return rules;
  rules = new Map();
  const validations = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
  const names = new Set(validations.map((m) => m.propertyName));
  for (const name of names) {
    const openapi = Reflect.getMetadata(OPENAPI_PROPERTY, dto.prototype as object, name) as
      { nullable?: boolean } | undefined;
    rules.set(name, {
      nullable: openapi?.nullable === true,
      optional: validations.some(
        (m) => m.propertyName === name && m.type === ValidationTypes.CONDITIONAL_VALIDATION,
      ),
    });
  }
  RULES.set(dto, rules);
  return rules;
}

/**
 * A 422 issue for each field of `body` that is null where the DTO does not allow it. Optional
 * means "may be left out"; null is a value, taken only by a field whose OpenAPI schema says
 * `nullable` (its description says what null does: no limit, anywhere, unrestricted). Without
 * this, `@IsOptional()` would let null through to a NOT NULL column, and a 500.
 * Fields the DTO does not know are left to the whitelist (`extra_forbidden`).
 */
export function nullIssues(
  body: Record<string, unknown>,
  dto: abstract new () => unknown,
): ValidationIssue[] {
  const rules = rulesOf(dto);
  const issues: ValidationIssue[] = [];
  for (const [key, value] of Object.entries(body)) {
    const rule = rules.get(key);
    if (value !== null || !rule || rule.nullable) continue;
    issues.push({
      loc: ['body', key],
      msg: rule.optional
        ? `${key} must not be null: leave it out instead`
        : `${key} must not be null`,
      type: 'null_not_allowed',
      input: null,
    });
  }
  return issues;
}
