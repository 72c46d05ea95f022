// A notes MCP server protected by Latchkey: README.md says how to run it. Plain CommonJS, so
// `node server.js` runs it with no build.
'use strict';

const { createMcpExpressApp } = require('@modelcontextprotocol/sdk/server/express.js');
const { EdgeVerifier, SsfReceiver } = require('@latchkey/client/verifier');
const {
  insufficientScope,
  latchkey,
  latchkeyEvents,
  latchkeyResourceMetadata,
} = require('@latchkey/client/express');
const { TOOLS, mcpHandler } = require('./notes');

function setting(name, fallback) {
  const value = process.env[name] || fallback;
  if (value === undefined) {
    console.error(`Set ${name} (README.md, "Configuration")`);
    process.exit(1);
  }
  return value;
}

const LATCHKEY_URL = setting('LATCHKEY_URL').replace(/\/+$/, '');
const BUSINESS_ID = setting('LATCHKEY_BUSINESS_ID');
const PORT = Number(setting('PORT', '4000'));
// The URI clients connect to: the resource the business registered in Latchkey.
const RESOURCE = setting('MCP_RESOURCE', `http://127.0.0.1:${PORT}/mcp`);
const EVENTS_TOKEN = process.env.LATCHKEY_EVENTS_TOKEN;

/** What every request to /mcp needs; each tool needs its own scope on top (notes.js). */
const BASE_SCOPES = ['notes:read'];

const protectedResource = {
  resource: RESOURCE,
  authorizationServers: [`${LATCHKEY_URL}/oauth2/businesses/${BUSINESS_ID}`],
  scopesSupported: ['notes:read', 'notes:write'],
  resourceName: 'Notes MCP server',
};

// One verifier for the middleware and for Latchkey's pushes, which clear what it remembers.
const verifier = new EdgeVerifier({
  baseUrl: LATCHKEY_URL,
  resource: RESOURCE,
  // Latchkey believes the resource a service names only from one it trusts.
  gatewaySecret: setting('LATCHKEY_GATEWAY_SECRET'),
});
const events = new SsfReceiver({ baseUrl: LATCHKEY_URL, verifier });
const mcpAuth = latchkey({
  verifier,
  businessId: BUSINESS_ID,
  // A 401's challenge names these, and an MCP client asks for what the challenge names.
  scopes: BASE_SCOPES,
  protectedResource,
});

/**
 * A tools/call whose tool needs a scope the token lacks is a 403 whose challenge names what the
 * call needs, the endpoint's scopes included, so a client that asks for them keeps what it had.
 */
function checkToolScopes(req, res, next) {
  const held = req.latchkey.scopes; // null: unrestricted within the person's role
  for (const message of [].concat(req.body ?? [])) {
    const name = message?.method === 'tools/call' ? message.params?.name : undefined;
    const tool = Object.hasOwn(TOOLS, name) ? TOOLS[name] : undefined; // not `constructor`
    if (tool && held !== null && !held.includes(tool.scope)) {
      const needed = [...new Set([...BASE_SCOPES, tool.scope])];
      const { status, headers, body } = insufficientScope(protectedResource, needed);
      return res.status(status).set(headers).json(body);
    }
  }
  next();
}

// Requests for another host are refused: a DNS rebinding page cannot reach the server.
const app = createMcpExpressApp({ allowedHosts: [new URL(RESOURCE).hostname] });
// Open to all: a client reads it before it has a token.
app.use(latchkeyResourceMetadata(protectedResource));
// Latchkey's pushes carry no token: they are checked by the receiver.
if (EVENTS_TOKEN) app.post('/latchkey/events', latchkeyEvents(events));
app.use('/mcp', mcpAuth);
const handleMcp = mcpHandler(RESOURCE);
app.post('/mcp', checkToolScopes, (req, res, next) => handleMcp(req, res).catch(next));
// Stateless: no stream to open, and no session to end.
app.all('/mcp', (req, res) => res.status(405).set('allow', 'POST').end());

async function start() {
  await mcpAuth.check(); // a gateway secret Latchkey refuses stops the start, named
  await new Promise((resolve, reject) => {
    app.listen(PORT, '127.0.0.1', (error) => (error ? reject(error) : resolve()));
  });
  if (EVENTS_TOKEN) {
    // A stream per start keeps the example short; a deployment registers once and keeps
    // the audience and authorization it answers for SsfReceiver's options.
    const endpointUrl = new URL('/latchkey/events', RESOURCE).href;
    await events.register({ token: EVENTS_TOKEN, endpointUrl });
    console.log(`Latchkey pushes revocations to ${endpointUrl}`);
  }
  console.log(`Notes MCP server listening on ${RESOURCE}`);
}

start().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
