import type { Cluster, Redis } from 'ioredis';

/**
 * Ends an ioredis client at once (as `disconnect()`, which also cancels a pending reconnect),
 * and leaves nothing running behind it. `disconnect()` ends the socket and arms a 2-second timer,
 * cleared by the socket's 'close', that destroys a socket left half-open. A socket that had
 * closed already (a refused or dropped connection: what a client that retries holds until its
 * next attempt) emitted its 'close' before that timer listened, so the timer runs its 2 s for
 * nothing and holds the process up: a shutdown waits on it, and a jest worker that ends then is
 * force-exited. Such a socket is told of its close again, which is all the timer waits for. A
 * Cluster's node connections are each ended the same way.
 */
export function disconnectNow(client: Redis | Cluster): void {
  if (isCluster(client)) {
    const nodes = client.nodes('all');
    client.disconnect();
    for (const node of nodes) disconnectNow(node);
    return;
  }
  // Undefined until a first connection is tried, whatever the type says.
  const socket = client.stream as Redis['stream'] | undefined;
  client.disconnect();
  if (socket?.closed) socket.emit('close', false);
}

function isCluster(client: Redis | Cluster): client is Cluster {
  return typeof (client as Partial<Cluster>).nodes === 'function';
}
