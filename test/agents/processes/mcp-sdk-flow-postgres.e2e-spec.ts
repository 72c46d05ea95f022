import { hasChromium } from '../../harness/browser/swagger-ui';
import { describeIf, TEST_DATABASE_URL } from '../../setup/servers';
import { MCP_SDK_FLOW, mcpSdkFlowOn } from '../mcp-sdk-flow-cases';

/** PostgreSQL's half of the MCP SDK flow (mcp-sdk-flow-cases.ts), in a file of its own so it runs beside SQLite's. */
if (hasChromium()) {
  describeIf(!!TEST_DATABASE_URL, 'set TEST_DATABASE_URL')(
    MCP_SDK_FLOW,
    mcpSdkFlowOn('postgres', { checksTarball: false }),
  );
} else {
  it.todo('the MCP SDK flow is left out of this run: Chromium is missing at /usr/bin/chromium');
}
