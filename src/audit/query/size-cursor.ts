import { RequestValidationError } from '../../common/errors/domain-error';

/**
 * The cursor of the checkpoint list: the tree size of the last checkpoint of the page before.
 * One that does not decode to exactly what `encodeSizeCursor` wrote is 422 INVALID_CURSOR.
 */
export function encodeSizeCursor(size: number): string {
  return Buffer.from(JSON.stringify(['tree_size', size])).toString('base64url');
}

export function decodeSizeCursor(cursor: string | undefined): number | null {
  if (cursor === undefined) return null;
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    // not JSON: refused below
  }
  if (
    Array.isArray(parsed) &&
    parsed.length === 2 &&
    parsed[0] === 'tree_size' &&
    Number.isSafeInteger(parsed[1]) &&
    (parsed[1] as number) > 0 &&
    encodeSizeCursor(parsed[1] as number) === cursor
  ) {
    return parsed[1] as number;
  }
  throw new RequestValidationError(
    [{ loc: ['query', 'cursor'], msg: 'Invalid cursor', type: 'value_error' }],
    'INVALID_CURSOR',
  );
}
