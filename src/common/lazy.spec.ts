import { lazy } from './lazy';

describe(lazy.name, () => {
  it('makes nothing until asked, then once, and answers the same value', () => {
    const make = jest.fn(() => ({ made: true }));
    const sut = lazy(make);
    expect(make).not.toHaveBeenCalled();
    const first = sut();
    expect(sut()).toBe(first);
    expect(make).toHaveBeenCalledTimes(1);
  });

  it.each([[undefined], [null], [0], ['']])('keeps a made %p and makes it once', (value) => {
    const make = jest.fn(() => value);
    const sut = lazy(make);
    expect([sut(), sut()]).toEqual([value, value]);
    expect(make).toHaveBeenCalledTimes(1);
  });

  it('peeks without making: nothing before the first use, the made value after', () => {
    const make = jest.fn(() => ({ made: true }));
    const sut = lazy(make);
    expect(sut.peek()).toBeUndefined();
    expect(make).not.toHaveBeenCalled();
    const made = sut();
    expect(sut.peek()).toBe(made);
    expect(make).toHaveBeenCalledTimes(1);
  });
});
