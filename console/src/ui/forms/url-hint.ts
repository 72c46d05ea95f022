/**
 * What the server takes as a URL (src/webhooks/transport/webhook-target.ts `urlProblem`): https,
 * or http where the installation allows it, and a public address unless it allows private ones.
 * The console cannot read the installation's settings, so it says both.
 */
export const URL_HINT =
  'https (http only where this installation sets WEBHOOK_ALLOW_HTTP), with no user name, ' +
  'password or #fragment, reaching a public address (a private one only where it sets ' +
  'WEBHOOK_ALLOW_PRIVATE).';
