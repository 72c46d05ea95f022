/** The `fetch` the verifier calls Latchkey with (Node's global one unless the caller gives another). */
export type Fetch = typeof globalThis.fetch;

/**
 * GETs from Latchkey, each bounded in time (the body's read included: the signal stays armed until
 * it is read) and never following a redirect: a list or key set that moved elsewhere is refused
 * rather than read from wherever a 3xx points.
 */
export class LatchkeyHttp {
  constructor(
    private readonly fetch: Fetch,
    private readonly timeoutMs: number,
  ) {}

  get(url: string, headers: Record<string, string>): Promise<Response> {
    return this.fetch(url, {
      method: 'GET',
      headers,
      redirect: 'error',
      signal: AbortSignal.timeout(this.timeoutMs),
    });
  }
}

/** The body as text, or an error when it is longer than `maxBytes` (read no further than that). */
export async function readText(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (declared > maxBytes) {
    await discard(response);
    throw new Error('the answer is too large');
  }
  const bytes = await readBounded(response.body, maxBytes);
  if (bytes === null) throw new Error('the answer is too large');
  return new TextDecoder().decode(bytes);
}

/**
 * A body's bytes, or null (the stream cancelled) as soon as they pass `maxBytes`: never more than
 * that is held, whatever the sender declared or sends.
 */
export async function readBounded(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
): Promise<Uint8Array | null> {
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = (await reader.read()) as { done: boolean; value?: Uint8Array };
    if (done || value === undefined) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

/** Lets go of a body we do not read, so its connection goes back to the pool. */
export async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}
