import { DomainError } from '../common/errors/domain-error';
import type { ErrorTable } from '../common/errors/error-codes';

/** The resources a business registers: MCP servers and APIs that will take its tokens. */
export const RESOURCE_ERRORS = {
  // Also what another business's resource answers: existence is never confirmed.
  RESOURCE_NOT_FOUND: { status: 404, message: 'Resource not found' },
  RESOURCE_URI_TAKEN: {
    status: 409,
    message: 'The business has registered a resource at this URI already',
  },
  RESOURCE_LIMIT_REACHED: {
    status: 409,
    message: 'The business has registered as many resources as it may hold',
  },
} as const satisfies ErrorTable;

export type ResourceErrorCode = keyof typeof RESOURCE_ERRORS;

export class ResourceError extends DomainError<ResourceErrorCode> {
  constructor(code: ResourceErrorCode, detail?: string) {
    super(code, RESOURCE_ERRORS[code], detail);
  }
}

export const resourceNotFound = () => new ResourceError('RESOURCE_NOT_FOUND');
