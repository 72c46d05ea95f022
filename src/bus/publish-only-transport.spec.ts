import type { BusTransport } from './bus-transport';
import { PublishOnlyTransport } from './publish-only-transport';

/** A transport that records what is asked of it. */
function recording() {
  const calls: string[] = [];
  const inner: BusTransport = {
    name: 'redis',
    connected: true,
    start: () => Promise.resolve(void calls.push('start')),
    publish: (payload) => Promise.resolve(calls.push(`publish ${payload}`)),
    close: () => Promise.resolve(void calls.push('close')),
  };
  let opened = 0;
  const sut = new PublishOnlyTransport('redis', () => {
    opened++;
    return Promise.resolve(inner);
  });
  return { sut, calls, opened: () => opened };
}

describe(PublishOnlyTransport.name, () => {
  it('opens nothing to start or to close when nothing is published', async () => {
    const { sut, calls, opened } = recording();
    await sut.start();
    await sut.close();
    expect({ opened: opened(), calls }).toEqual({ opened: 0, calls: [] });
  });

  it('opens once, on the first publish, never listens, and closes what it opened', async () => {
    const { sut, calls, opened } = recording();
    await sut.start();
    expect(opened()).toBe(0);
    await Promise.all([sut.publish('a'), sut.publish('b')]);
    await sut.publish('c');
    await sut.close();
    expect({ opened: opened(), calls }).toEqual({
      opened: 1,
      calls: ['publish a', 'publish b', 'publish c', 'close'],
    });
  });

  it('counts as never connected, so a cache in its process reads through', () => {
    expect(recording().sut).toMatchObject({ name: 'redis', connected: false });
  });

  it('a transport that failed to open fails the publish, and close still ends', async () => {
    const sut = new PublishOnlyTransport('postgres', () => Promise.reject(new Error('refused')));
    await expect(sut.publish('a')).rejects.toThrow('refused');
    await expect(sut.close()).resolves.toBeUndefined();
  });
});
