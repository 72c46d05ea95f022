import type { AddressInfo, Server } from 'node:net';

/** Listens on a free 127.0.0.1 port (load and fault tools never leave loopback); answers it. */
export async function listenOnLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Stops accepting and resolves once the server has closed; nothing to do without one. */
export function closeServer(server: Server | undefined): Promise<void> {
  return new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
}
