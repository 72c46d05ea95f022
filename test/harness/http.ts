import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface HttpResponse<T = unknown> {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: T;
  /** Milliseconds from sending the request to the end of the response. */
  ms: number;
  /** `performance.now()` when the request was sent and when its response ended. */
  startedAt: number;
  endedAt: number;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  body?: unknown;
  timeoutMs?: number;
  agent?: http.Agent;
}

/** Keep-alive, so that timed loops measure the server, not TCP handshakes. */
export const keepAliveAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** One HTTP request with a JSON body (if any); the answer's body is parsed when it is JSON. */
export function httpRequest<T = unknown>(
  baseUrl: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<HttpResponse<T>> {
  const url = new URL(path, baseUrl);
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = { ...options.headers };
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const req = http.request(
      url,
      {
        method,
        headers,
        agent: options.agent ?? keepAliveAgent,
        timeout: options.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const endedAt = performance.now();
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          if ((res.headers['content-type'] ?? '').includes('json') && text.length > 0) {
            try {
              body = JSON.parse(text);
            } catch {
              body = text;
            }
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: body as T,
            ms: endedAt - startedAt,
            startedAt,
            endedAt,
          });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url.href} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}
