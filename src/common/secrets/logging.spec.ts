import { Writable } from 'node:stream';
import pino from 'pino';
import { logDestination } from './logging';

/** What a stream was sent, with the terminal's colour codes taken out. */
function capture() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  // eslint-disable-next-line no-control-regex -- ANSI colour sequences
  return { stream, text: () => chunks.join('').replace(/\x1b\[[0-9;]*m/g, '') };
}

describe(logDestination.name, () => {
  it('leaves pino on its own JSON lines when stdout is not a terminal', () => {
    expect(logDestination(false)).toBeUndefined();
  });

  it('prints a readable line per record in a terminal, not JSON', () => {
    const out = capture();
    const sut = logDestination(true, out.stream);
    expect(sut).toBeDefined();
    pino({ level: 'info' }, sut).info({ request_id: 'r-1', status: 200 }, 'request completed');
    const text = out.text();
    expect(text).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: request completed {"request_id":"r-1","status":200}\n$/,
    );
    expect(text).not.toContain('{"level"');
  });
});
