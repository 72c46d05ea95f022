import { hasChromium } from '../../harness/browser/swagger-ui';
import { MCP_SDK_FLOW, mcpSdkFlowOn } from '../mcp-sdk-flow-cases';

/** SQLite's half of the MCP SDK flow (mcp-sdk-flow-cases.ts); PostgreSQL's runs beside it. */
if (hasChromium()) {
  describe(MCP_SDK_FLOW, mcpSdkFlowOn('sqlite', { checksTarball: true }));
} else {
  it.todo('the MCP SDK flow is left out of this run: Chromium is missing at /usr/bin/chromium');
}
