import { body, unwrap } from '../call';
import type { Session } from '../../session';
import type { AuditEvent, ChainVerdict, Page } from '../types';

export type AuditScope = 'business' | 'platform';

export interface AuditFilters {
  action?: string[];
  actor_id?: string;
  target_id?: string;
  outcome?: 'success' | 'failure';
  from?: string;
  to?: string;
  /** Platform chain only. */
  business_id?: string;
}

export interface AuditApi {
  scope: AuditScope;
  /** The query key prefix of everything this chain caches. */
  key: readonly unknown[];
  list(filters: AuditFilters, cursor: string | undefined, limit: number): Promise<Page<AuditEvent>>;
  verify(): Promise<ChainVerdict>;
  checkpoint(): Promise<string>;
  consistency(from: number, to: number): Promise<string>;
  exportFile(format: 'ndjson' | 'csv', filters: AuditFilters): Promise<Blob>;
  verifierKey(): Promise<string>;
}

/** The business's chain (x-business-id) or the platform's, behind one face. */
export function auditApi(session: Session, scope: AuditScope): AuditApi {
  const { platform } = session;
  const verifierKey = () =>
    body(platform.GET('/.well-known/latchkey-audit-key', { parseAs: 'text' }));
  if (scope === 'platform') {
    return {
      scope,
      key: ['platform', 'audit'],
      list: (filters, cursor, limit) =>
        unwrap(
          platform.GET('/platform/v1/audit-events', {
            params: { query: { ...filters, cursor, limit } },
          }),
        ),
      verify: () => unwrap(platform.GET('/platform/v1/audit-events/verify')),
      checkpoint: () =>
        body(platform.GET('/platform/v1/audit-events/checkpoint', { parseAs: 'text' })),
      consistency: (from, to) =>
        body(
          platform.GET('/platform/v1/audit-events/consistency', {
            params: { query: { from, to } },
            parseAs: 'text',
          }),
        ),
      exportFile: (format, filters) =>
        body(
          platform.GET('/platform/v1/audit-events/export', {
            params: { query: { ...filters, format } },
            parseAs: 'blob',
          }),
        ),
      verifierKey,
    };
  }
  const api = session.api;
  const business = session.business;
  if (!api || !business) throw new Error('no business is open');
  const own = (f: AuditFilters): Omit<AuditFilters, 'business_id'> => {
    const { business_id, ...rest } = f;
    void business_id;
    return rest;
  };
  return {
    scope,
    key: ['biz', business.id, 'audit'],
    list: (filters, cursor, limit) =>
      unwrap(
        api.GET('/api/v1/audit-events', { params: { query: { ...own(filters), cursor, limit } } }),
      ),
    verify: () => unwrap(api.GET('/api/v1/audit-events/verify')),
    checkpoint: () => body(api.GET('/api/v1/audit-events/checkpoint', { parseAs: 'text' })),
    consistency: (from, to) =>
      body(
        api.GET('/api/v1/audit-events/consistency', {
          params: { query: { from, to } },
          parseAs: 'text',
        }),
      ),
    exportFile: (format, filters) =>
      body(
        api.GET('/api/v1/audit-events/export', {
          params: { query: { ...own(filters), format } },
          parseAs: 'blob',
        }),
      ),
    verifierKey,
  };
}
