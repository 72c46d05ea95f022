/**
 * Guards a tenant query against a missing business id: TypeORM drops `undefined` from a WHERE
 * clause, which would silently make the query read every business.
 */
export function assertBusinessId(businessId: string): void {
  if (typeof businessId !== 'string' || businessId.length === 0) {
    throw new Error('A tenant query needs a business id');
  }
}
