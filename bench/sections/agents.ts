/** The authorization server for connected apps on SQLite, on an app of its own (bench/agents.ts). */
import { benchAgents } from '../agents';
import { figure, log, raw, type QuickRow } from '../lib/figures';

const GOAL = { exchangesPerS: 300, verifyRatio: 0.95 };
const GOALS = { exchanges: `≥ ${GOAL.exchangesPerS}`, verify: `≥ ${GOAL.verifyRatio}` };
/** This section's row in the quick run (bench/run.ts), which leaves it to the full bench. */
export const AGENTS_ROW: QuickRow = [
  'agents: code exchanges/s, /auth/verify of a code-flow token ÷ of a bearer token, sqlite',
  `${GOALS.exchanges}/s; ${GOALS.verify}`,
];

export async function agentsCost(): Promise<void> {
  const agents = await benchAgents(log);
  figure(
    'agents: authorization code exchanges/s, sqlite',
    `${agents.exchanges_per_s} (p99 ${agents.exchange_p99_ms} ms one at a time)`,
    GOALS.exchanges,
    agents.exchanges_per_s >= GOAL.exchangesPerS,
  );
  figure(
    'agents: /auth/verify of a code-flow token ÷ of a bearer token, sqlite',
    `${agents.verify_ratio} (${agents.oauth_verify_rps} ÷ ${agents.bearer_verify_rps} req/s)`,
    GOALS.verify,
    agents.verify_ratio >= GOAL.verifyRatio,
  );
  figure(
    'agents: server CPU per code exchange, sqlite',
    `${agents.cpu_ms_per_exchange} ms`,
    '(information: compare builds by it)',
    null,
  );
  raw.agents = agents;
}
