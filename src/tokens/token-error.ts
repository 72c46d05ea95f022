import { DomainError } from '../common/domain-error';

/** A rule of the token lifecycle was broken. */
export class TokenError extends DomainError {}
