import { rowBatches, tupleMarks } from './row-batches';

describe(rowBatches.name, () => {
  const sizes = (n: number, max: number) =>
    [
      ...rowBatches(
        Array.from({ length: n }, (_, i) => i),
        max,
      ),
    ].map((b) => b.length);

  it.each([
    [0, 512, []],
    [1, 512, [1]],
    [37, 512, [32, 4, 1]],
    [512, 512, [512]],
    [1300, 500, [256, 256, 256, 256, 256, 16, 4]],
  ])('%i rows at most %i a batch go as %j', (n, max, expected) => {
    expect(sizes(n, max)).toEqual(expected);
  });

  it('keeps every row once, in order, and a statement to a few texts whatever the count', () => {
    const texts = new Set<number>();
    for (let n = 1; n <= 1100; n++) {
      const items = Array.from({ length: n }, (_, i) => i);
      const flat = [...rowBatches(items, 512)].flatMap((b) => (texts.add(b.length), b));
      expect(flat.every((item, i) => item === i) && flat.length === n).toBe(true);
    }
    expect(texts.size).toBe(10);
  });
});

describe(tupleMarks.name, () => {
  it('writes rows of marks', () => {
    expect(tupleMarks(2, 3)).toBe('(?, ?, ?), (?, ?, ?)');
  });
});
