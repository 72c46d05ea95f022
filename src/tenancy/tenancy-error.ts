import { DomainError } from '../common/domain-error';

/** A rule of businesses, members or identities was broken. */
export class TenancyError extends DomainError {}
