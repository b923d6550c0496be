// Prints a fresh refresh token of the test IdP for a confidential client: the benchmark's
// oidc-agent needs one to start from (`oidc-gen --rt=…`).
//   node tests/bench/refresh-token.mjs ISSUER CLIENT_ID CLIENT_SECRET
import { authorize } from '../idp/browser.mjs';

const [issuer, clientId, secret] = process.argv.slice(2);
// prompt=consent: oidc-provider grants offline_access only then, and oidc-agent asks for it.
const { code, verifier, redirect } = await authorize(issuer, clientId, { prompt: 'consent' });
const res = await fetch(`${issuer}/token`, {
  method: 'POST',
  headers: {
    'content-type': 'application/x-www-form-urlencoded',
    authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
  },
  body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirect }),
});
const body = await res.json();
if (!body.refresh_token) throw new Error(`no refresh token: ${JSON.stringify(body)}`);
console.log(body.refresh_token);
