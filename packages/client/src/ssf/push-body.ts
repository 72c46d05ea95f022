import type { Readable } from 'node:stream';
import { readBounded } from '../edge/http';
import { MAX_SET_BYTES } from './receiver';

/**
 * A push's body from a Node request no parser has read, at most one byte past `MAX_SET_BYTES`
 * (the receiver refuses that), so a flood of bytes costs no more than a SET's worth of memory.
 */
export function readNodeBody(request: Readable): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > MAX_SET_BYTES) {
        request.pause();
        resolve(new Uint8Array(MAX_SET_BYTES + 1));
      } else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** The same from a web `Request` (Hono), read no further than that bound. */
export async function readWebBody(request: Request): Promise<Uint8Array> {
  return (await readBounded(request.body, MAX_SET_BYTES)) ?? new Uint8Array(MAX_SET_BYTES + 1);
}
