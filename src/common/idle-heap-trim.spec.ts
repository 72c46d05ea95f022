import { performance } from 'node:perf_hooks';
import { trimHeapWhenQuiet } from './idle-heap-trim';

describe(trimHeapWhenQuiet.name, () => {
  const gc = jest.fn();
  let utilization = 0;
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
    stop = trimHeapWhenQuiet();
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

  it('collects once after five quiet seconds, and not again while it stays quiet', () => {
    spend(4, 0.001);
    expect(gc).not.toHaveBeenCalled();
    spend(1, 0.001);
    expect(gc).toHaveBeenCalledTimes(1);
    spend(60, 0);
    expect(gc).toHaveBeenCalledTimes(1);
  });

  it('collects again only after a busy spell, and a busy second starts the count over', () => {
    spend(5, 0);
    spend(3, 0.5);
    spend(4, 0);
    spend(1, 0.03);
    spend(4, 0);
    expect(gc).toHaveBeenCalledTimes(1);
    spend(1, 0);
    expect(gc).toHaveBeenCalledTimes(2);
  });

  it('never collects under steady load', () => {
    spend(120, 0.2);
    expect(gc).not.toHaveBeenCalled();
  });
});
