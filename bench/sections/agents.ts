/** The authorization server for connected apps on SQLite, on an app of its own (bench/agents.ts). */
import { benchAgents } from '../agents';
import { figure, log, raw } from '../lib/figures';

export async function agentsCost(): Promise<void> {
  const agents = await benchAgents(log);
  figure(
    'agents: authorization code exchanges/s, sqlite',
    `${agents.exchanges_per_s} (p99 ${agents.exchange_p99_ms} ms one at a time)`,
    '≥ 300',
    agents.exchanges_per_s >= 300,
  );
  figure(
    'agents: /auth/verify of a code-flow token ÷ of a bearer token, sqlite',
    `${agents.verify_ratio} (${agents.oauth_verify_rps} ÷ ${agents.bearer_verify_rps} req/s)`,
    '≥ 0.95',
    agents.verify_ratio >= 0.95,
  );
  figure(
    'agents: server CPU per code exchange, sqlite',
    `${agents.cpu_ms_per_exchange} ms`,
    '(information: compare builds by it)',
    null,
  );
  raw.agents = agents;
}
