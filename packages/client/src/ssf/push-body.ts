import type { Readable } from 'node:stream';
import { MAX_SET_BYTES, type SsfAnswer } from './receiver';

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
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = (await reader.read()) as { done: boolean; value?: Uint8Array };
    if (done || value === undefined) break;
    size += value.byteLength;
    if (size > MAX_SET_BYTES) {
      await reader.cancel();
      return new Uint8Array(MAX_SET_BYTES + 1);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** The body a receiver's answer is sent with: RFC 8935's error object, or none for a 202. */
export function answerText(answer: SsfAnswer): string {
  return answer.body === null ? '' : JSON.stringify(answer.body);
}
