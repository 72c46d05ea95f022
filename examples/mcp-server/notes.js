// The MCP side of the example: two tools over each person's notes, each tool needing a scope.
'use strict';

const { McpServer } = require('@modelcontextprotocol/sdk/server/mcp.js');
const {
  StreamableHTTPServerTransport,
} = require('@modelcontextprotocol/sdk/server/streamableHttp.js');
const { z } = require('zod');

/** The tools, and the scope each needs. */
const TOOLS = {
  'notes.list': {
    scope: 'notes:read',
    description: 'List your notes',
    run: (notes) => JSON.stringify(notes),
  },
  'notes.add': {
    scope: 'notes:write',
    description: 'Add a note',
    inputSchema: { text: z.string().min(1).max(500) },
    run: (notes, { text }) => `Added note ${notes.push(text)}`,
  },
};

/** Each person's notes, in memory: a token is of the person who allowed the app. */
const notesOf = new Map();

const answer = (text, isError = false) => ({ content: [{ type: 'text', text }], isError });

/** An MCP server for one request: stateless, as the SDK's simpleStatelessStreamableHttp. */
function notesServer() {
  const server = new McpServer({ name: 'latchkey-notes', version: '1.0.0' });
  for (const [name, { scope, run, ...config }] of Object.entries(TOOLS)) {
    const call = async (args, { authInfo }) => {
      // Checked before the transport too; a tool does not count on its caller having done it.
      if (!authInfo?.scopes.includes(scope)) return answer(`${name} needs ${scope}`, true);
      const person = authInfo.extra.identityId;
      if (!notesOf.has(person)) notesOf.set(person, []);
      return answer(run(notesOf.get(person), args));
    };
    // The SDK hands a tool without inputs its context alone.
    server.registerTool(name, config, config.inputSchema ? call : (extra) => call({}, extra));
  }
  return server;
}

/**
 * POST /mcp, after Latchkey's middleware: the verified token becomes the SDK's `authInfo`,
 * which each tool is handed, and the request goes to a server made for it.
 */
function mcpHandler(resource) {
  const allScopes = [...new Set(Object.values(TOOLS).map((tool) => tool.scope))];
  return async (req, res) => {
    const token = req.latchkey;
    req.auth = {
      token: req.get('authorization').replace(/^bearer +/i, ''),
      // Latchkey's answer does not name the app (the OAuth client): the token's id stands in.
      clientId: token.tokenId,
      // Null scopes: unrestricted within the person's role.
      scopes: token.scopes ?? allScopes,
      expiresAt: token.expiresAt ? Math.floor(token.expiresAt.getTime() / 1000) : undefined,
      resource: new URL(resource),
      extra: { identityId: token.identityId },
    };
    const server = notesServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    // The body the scope check read: the check and the tools see one parse of it.
    await transport.handleRequest(req, res, req.body);
  };
}

module.exports = { TOOLS, mcpHandler };
