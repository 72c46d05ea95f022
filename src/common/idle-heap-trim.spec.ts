import { performance } from 'node:perf_hooks';
import { trimHeapWhenQuiet } from './idle-heap-trim';

describe(trimHeapWhenQuiet.name, () => {
  const gc = jest.fn();
  let utilization = 0;
  /** The young generation's size as the trim reads it after collecting. */
  let young = 0;
  let stop: () => void;

  beforeEach(() => {
    jest.useFakeTimers();
    gc.mockClear();
    (globalThis as { gc?: () => void }).gc = gc;
    jest
      .spyOn(performance, 'eventLoopUtilization')
      .mockImplementation((...args: unknown[]) =>
        args.length === 2
          ? { idle: 0, active: 0, utilization }
          : { idle: 0, active: 0, utilization: 0 },
      );
    young = 1024 * 1024;
    stop = trimHeapWhenQuiet(() => young);
  });

  afterEach(() => {
    stop();
    delete (globalThis as { gc?: () => void }).gc;
    jest.restoreAllMocks();
    jest.useRealTimers();
  });

  /** `seconds` of the event loop at `busy` utilization. */
  const spend = (seconds: number, busy: number) => {
    utilization = busy;
    jest.advanceTimersByTime(seconds * 1000);
  };

  it('collects once after six quiet seconds, and not again while it stays quiet', () => {
    spend(5, 0.03);
    expect(gc).not.toHaveBeenCalled();
    spend(1, 0.001);
    expect(gc).toHaveBeenCalledTimes(1);
    spend(60, 0);
    expect(gc).toHaveBeenCalledTimes(1);
  });

  it('collects again only after a busy spell, once the quiet seconds have pushed it out', () => {
    spend(6, 0);
    spend(3, 0.5);
    spend(5, 0);
    expect(gc).toHaveBeenCalledTimes(1);
    spend(1, 0);
    expect(gc).toHaveBeenCalledTimes(2);
  });

  it("takes a lone second of a timer's work among quiet ones for quiet", () => {
    spend(2, 0.005);
    spend(1, 0.2);
    spend(3, 0.005);
    expect(gc).toHaveBeenCalledTimes(1);
  });

  it('tries again a quiet spell later while the young generation stays large, three times at most', () => {
    young = 32 * 1024 * 1024;
    spend(6, 0);
    expect(gc).toHaveBeenCalledTimes(1);
    spend(6, 0);
    expect(gc).toHaveBeenCalledTimes(2);
    spend(6, 0);
    spend(60, 0);
    expect(gc).toHaveBeenCalledTimes(3);
  });

  it('stops trying once V8 has given the space back', () => {
    young = 32 * 1024 * 1024;
    spend(6, 0);
    young = 1024 * 1024;
    spend(6, 0);
    spend(60, 0);
    expect(gc).toHaveBeenCalledTimes(2);
  });

  it('never collects under steady load', () => {
    spend(120, 0.2);
    expect(gc).not.toHaveBeenCalled();
  });
});
