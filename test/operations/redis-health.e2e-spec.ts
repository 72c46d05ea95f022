import { bootTestApp, TestApp } from '../harness/app/test-app';
import { describeIf, TEST_REDIS_URL } from '../setup/servers';

// First in the file, so that no other suite's sockets are still closing when it counts.
describe('an app whose Redis never answers', () => {
  /** The timers holding the process up (an unref'd one is not listed). */
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

  it('leaves no timer running once closed, so a worker or a shutdown ends at once', async () => {
    const baseline = timers();
    const t = await bootTestApp('sqlite', { REDIS_URL: 'redis://127.0.0.1:1' });
    await t.http().get('/health/ready').expect(503);
    await t.close();
    // A socket still being refused when the app closed clears its timer as it closes, within
    // milliseconds; one left behind would run for 2 s.
    await new Promise((resolve) => setTimeout(resolve, 200));
    // At most: a timer of an earlier suite in this worker may have ended meanwhile.
    expect(timers()).toBeLessThanOrEqual(baseline);
  });
});

// Runs only with REDIS_URL, which .ci/run always sets; global setup says when it is left out.
const suite = describeIf(!!TEST_REDIS_URL, 'set REDIS_URL');

suite('readiness with Redis configured', () => {
  let up: TestApp;
  let down: TestApp;
  beforeAll(async () => {
    up = await bootTestApp('sqlite', { REDIS_URL: TEST_REDIS_URL! });
    // Nothing listens on port 1: a Redis that does not answer.
    down = await bootTestApp('sqlite', { REDIS_URL: 'redis://127.0.0.1:1' });
  });
  afterAll(async () => {
    await up.close();
    await down.close();
  });

  it('reports Redis up when it answers', async () => {
    const res = await up.http().get('/health/ready').expect(200);
    expect(res.body.details).toMatchObject({ database: { status: 'up' }, redis: { status: 'up' } });
  });

  it('answers 503 when Redis does not answer', async () => {
    const res = await down.http().get('/health/ready').expect(503);
    expect(res.headers['retry-after']).toBeDefined();
    expect(res.body).toMatchObject({
      success: false,
      code: 'STORAGE_UNAVAILABLE',
      message: 'Storage is temporarily unavailable',
      detail: 'Not ready: redis does not answer',
    });
  });
});
