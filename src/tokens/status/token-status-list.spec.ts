import { StatusList } from '@sd-jwt/jwt-status-list';
import {
  encodeStatusList,
  listMediaType,
  statusOf,
  STATUS_LIST_JSON,
  STATUS_LIST_JWT,
  TOKEN_STATUS,
} from './token-status-list';

const BOOLS = [false, true] as const;

describe('token status lists', () => {
  describe(statusOf.name, () => {
    // Every combination: a hand-picked row proves one; an attacker uses another.
    const cases = BOOLS.flatMap((revoked) =>
      BOOLS.flatMap((expired) =>
        BOOLS.flatMap((disabled) =>
          BOOLS.map((suspended) => ({ revoked, expired, disabled, suspended })),
        ),
      ),
    );
    it.each(cases)(
      'revoked $revoked, expired $expired, paused $disabled, business suspended $suspended',
      ({ revoked, expired, disabled, suspended }) => {
        const expected =
          revoked || expired
            ? TOKEN_STATUS.invalid
            : disabled || suspended
              ? TOKEN_STATUS.suspended
              : TOKEN_STATUS.valid;
        expect(statusOf({ index: 0, revoked, expired, disabled }, suspended)).toBe(expected);
      },
    );
  });

  describe(encodeStatusList.name, () => {
    it('sets each listed token at its index and leaves the rest valid, read back by the library', () => {
      const sut = encodeStatusList(
        64,
        [
          { index: 3, revoked: true, expired: false, disabled: false },
          { index: 5, revoked: false, expired: false, disabled: true },
          { index: 63, revoked: false, expired: true, disabled: true },
        ],
        false,
      );
      expect(sut.bits).toBe(2);
      const list = StatusList.decompressStatusList(sut.lst, 2);
      const statuses = Array.from({ length: 64 }, (_, i) => list.getStatus(i));
      expect(statuses.filter((s) => s !== 0)).toEqual([1, 2, 1]);
      expect([list.getStatus(3), list.getStatus(5), list.getStatus(63)]).toEqual([1, 2, 1]);
    });

    it('ignores an index outside the list rather than growing it', () => {
      const sut = encodeStatusList(
        8,
        [{ index: 8, revoked: true, expired: false, disabled: false }],
        false,
      );
      const list = StatusList.decompressStatusList(sut.lst, 2);
      expect(list.statusList).toEqual(new Array(8).fill(0));
    });
  });

  // draft-ietf-oauth-status-list-21, section 4.1: the examples' bytes, compressed as the draft
  // prints them, decode to the statuses it lists, and those statuses encode to exactly those bytes.
  describe('the draft examples', () => {
    it.each([
      {
        bits: 1 as const,
        lst: 'eNrbuRgAAhcBXQ',
        statuses: [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1],
      },
      { bits: 2 as const, lst: 'eNo76fITAAPfAgc', statuses: [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3] },
    ])('bits $bits: $lst', ({ bits, lst, statuses }) => {
      const list = StatusList.decompressStatusList(lst, bits);
      expect(statuses.map((_, i) => list.getStatus(i))).toEqual(statuses);
      expect(new StatusList(statuses, bits).compressStatusList()).toBe(lst);
    });
  });

  describe(listMediaType.name, () => {
    const JWT = STATUS_LIST_JWT;
    const JSON_ = STATUS_LIST_JSON;
    it.each([
      [undefined, JWT],
      ['', JWT],
      ['*/*', JWT],
      ['text/html', JWT],
      [JSON_, JSON_],
      [`${JSON_.toUpperCase()}`, JSON_],
      [JWT, JWT],
      [`${JSON_}, ${JWT}`, JWT],
      [`${JWT};q=0.5, ${JSON_}`, JSON_],
      [`${JSON_};q=0`, JWT],
      [`${JSON_};q=0, */*`, JWT],
      [`${JSON_};q=0.9, */*;q=0.1`, JSON_],
      [`${JSON_};q=0.1, application/*;q=0.9`, JWT],
      [`${JSON_};q=abc`, JWT],
      [`${JSON_} ; q=1.0`, JSON_],
      [',,;', JWT],
    ])('Accept %j: %s', (accept, expected) => {
      expect(listMediaType(accept)).toBe(expected);
    });
  });
});
