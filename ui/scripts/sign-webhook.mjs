// Signs a webhook request the way real senders do, with signing code that is not Inlet's: the
// `standardwebhooks` package (the spec's reference library), `@octokit/webhooks-methods`
// (GitHub's X-Hub-Signature-256), and Node's crypto for the schemes whose docs define them as a
// plain HMAC (Segment's X-Signature: hex HMAC-SHA1 of the body; Shopify's base64 HMAC-SHA256).
//
// stdin: {"scheme", "secret", "body", "id"?, "timestamp"? (Unix seconds)} — one object, or an
// array of them. stdout: the headers to send (an object, or an array of objects).
//
//   echo '{"scheme":"github","secret":"s","body":"{}"}' | node ui/scripts/sign-webhook.mjs
import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { sign as githubSign } from '@octokit/webhooks-methods';

async function headersFor(req) {
  const { scheme, secret, body } = req;
  switch (scheme) {
    case 'standard-webhooks': {
      const id = req.id ?? `msg_${Date.now()}`;
      const ts = req.timestamp ?? Math.floor(Date.now() / 1000);
      const signature = new Webhook(secret).sign(id, new Date(ts * 1000), body);
      return {
        'webhook-id': id,
        'webhook-timestamp': String(ts),
        'webhook-signature': signature,
      };
    }
    case 'github':
      return { 'X-Hub-Signature-256': await githubSign(secret, body) };
    case 'segment':
      return {
        'X-Signature': createHmac('sha1', secret).update(body).digest('hex'),
      };
    case 'shopify':
      return {
        'X-Shopify-Hmac-Sha256': createHmac('sha256', secret).update(body).digest('base64'),
      };
    default:
      throw new Error(`unknown scheme ${scheme}`);
  }
}

let input = '';
for await (const chunk of process.stdin) input += chunk;
const parsed = JSON.parse(input);
const out = Array.isArray(parsed)
  ? await Promise.all(parsed.map(headersFor))
  : await headersFor(parsed);
process.stdout.write(JSON.stringify(out));
