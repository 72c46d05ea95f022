import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { guardedLookup, type TargetPolicy } from '../../common/address-guard';

/**
 * Idle connections are closed after this long: under Node's own server default (5 s), so a
 * receiver rarely closes one just as a send reuses it, and short enough that a quiet endpoint
 * holds no socket for long.
 */
export const IDLE_SOCKET_MS = 4_000;

/** Idle connections kept per host and port: the most an endpoint may have in flight. */
const MAX_IDLE_PER_HOST = 32;

const agents = new Map<string, HttpAgent>();

/**
 * The keep-alive agent that sends under `policy`. Every connection it opens resolves through
 * guardedLookup, so a kept connection leads only to an address that passed the guard when it
 * was opened; reusing it cannot reach a name that later resolves elsewhere. One agent per
 * protocol and policy, so a connection opened under a looser policy never serves a stricter one.
 * Its idle sockets are unref'd by Node, so they never hold a process open.
 */
export function deliveryAgent(protocol: 'http:' | 'https:', policy: TargetPolicy): HttpAgent {
  const key = `${protocol}${policy.allowPrivate ? 'private' : 'public'}`;
  let agent = agents.get(key);
  if (!agent) {
    const options = {
      keepAlive: true,
      maxFreeSockets: MAX_IDLE_PER_HOST,
      timeout: IDLE_SOCKET_MS,
      scheduling: 'lifo' as const,
      lookup: guardedLookup(policy),
    };
    agent = protocol === 'https:' ? new HttpsAgent(options) : new HttpAgent(options);
    agents.set(key, agent);
  }
  return agent;
}
