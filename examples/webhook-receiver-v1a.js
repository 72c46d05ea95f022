// A receiver of Latchkey webhooks from an endpoint made with "signature_scheme": "v1a": it checks
// each delivery's Ed25519 signature with its business's public key, which it pins, so it holds
// no secret, and a genuine message that another business's receiver got does not pass here.
//
//   # The key to pin (also at /.well-known/latchkey-webhook-keys?kid=<business_id>.<generation>):
//   curl -s localhost:3000/api/v1/webhooks/signing-key -H "Authorization: Bearer $OWNER" \
//     -H "x-business-id: $BIZ" | jq -r '.data.keys[0].public_key'
//   LATCHKEY_WEBHOOK_PUBLIC_KEY=whpk_… node examples/webhook-receiver-v1a.js
//
// After the business rotates its key (POST /api/v1/webhooks/signing-key/rotate), the old key
// keeps signing beside the new one for 24 hours: pin the new one within that day.
'use strict';
const http = require('node:http');
const { createPublicKey, verify } = require('node:crypto');

/** How old a delivery may be, as the standardwebhooks package allows: older ones are replays. */
const TOLERANCE_SECONDS = 5 * 60;
/** The DER prefix of an Ed25519 public key (RFC 8410): `whpk_` holds the 32 raw bytes after it. */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * A check of deliveries against one pinned public key (`whpk_…`): it answers the parsed event,
 * or null when no `v1a` signature verifies, or the timestamp is out of tolerance.
 */
function v1aVerifier(publicKeyText) {
  const raw = Buffer.from(String(publicKeyText).replace(/^whpk_/, ''), 'base64');
  if (raw.length !== 32) throw new Error('LATCHKEY_WEBHOOK_PUBLIC_KEY: not a whpk_ key');
  const key = createPublicKey({
    key: Buffer.concat([SPKI_PREFIX, raw]),
    format: 'der',
    type: 'spki',
  });
  return (body, headers, nowMs = Date.now()) => {
    const id = headers['webhook-id'];
    const timestamp = headers['webhook-timestamp'];
    if (typeof id !== 'string' || !/^[0-9]{1,12}$/.test(String(timestamp))) return null;
    if (Math.abs(nowMs / 1000 - Number(timestamp)) > TOLERANCE_SECONDS) return null;
    const signed = Buffer.from(`${id}.${timestamp}.${body}`);
    // Several signatures during a rotation, space-separated: one by the pinned key is enough.
    const ok = String(headers['webhook-signature'] ?? '')
      .split(' ')
      .some((entry) => {
        const [version, signature] = entry.split(',');
        if (version !== 'v1a' || !signature) return false;
        try {
          return verify(null, signed, key, Buffer.from(signature, 'base64'));
        } catch {
          return false;
        }
      });
    return ok ? JSON.parse(body) : null;
  };
}

module.exports = { v1aVerifier };

if (require.main === module) {
  const verified = v1aVerifier(process.env.LATCHKEY_WEBHOOK_PUBLIC_KEY);
  http
    .createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const event = verified(body, req.headers);
        if (!event) return res.writeHead(400).end();
        console.log(event.type, event.data.target); // drop a webhook-id you have seen already
        res.writeHead(204).end();
      });
    })
    .listen(8080);
}
