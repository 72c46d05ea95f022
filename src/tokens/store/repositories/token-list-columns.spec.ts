import { ApiToken } from '../entities/api-token.entity';
import { entityMaker } from './token-list-columns';

describe(entityMaker.name, () => {
  it('makes an entity of a row, each value read by its column or taken as it is', () => {
    const sut = entityMaker(['id', 'name', 'scopes'], [null, null, (v) => JSON.parse(v as string)]);
    const token = sut(['a1', 'ci', '["tokens:read"]']);
    expect(token).toBeInstanceOf(ApiToken);
    expect(token).toMatchObject({ id: 'a1', name: 'ci', scopes: ['tokens:read'] });
    expect(sut(['a2', null, 'null'])).toMatchObject({ id: 'a2', name: null, scopes: null });
  });

  it('refuses a property that is not a plain name, before any code is made of it', () => {
    for (const name of ['id; process.exit(1)', 'a-b', '1st', '', 'x.y'])
      expect(() => entityMaker(['id', name], [null, null])).toThrow(/is no name/);
  });
});
