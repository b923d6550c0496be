// A small Kubernetes API server of the tests' own, so that the real kubectl can be pointed at
// it: HTTPS (kubectl runs exec credential plugins only against https) with the certificate and
// key in KUBE_CERT and KUBE_KEY, answering `GET /api` only to a bearer token the test IdP says
// is active (IDP_ISSUER, introspection). `GET /_control/seen` (no auth) lists the tokens it
// accepted, oldest first, so a test can tell which token kubectl sent.
//
// With KUBE_OIDC_CLIENT_ID it checks tokens as an API server started with `--oidc-issuer-url
// IDP_ISSUER --oidc-client-id KUBE_OIDC_CLIENT_ID` does: an ID token (a JWT) signed by a key of
// the issuer's JWKS, `iss` the issuer, `aud` the client, not expired; anything else is 401.
//   KUBE_CERT=cert.pem KUBE_KEY=key.pem IDP_ISSUER=http://127.0.0.1:PORT node tests/servers/kube-api.mjs
import fs from 'node:fs';
import https from 'node:https';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { active, json } from './introspect.mjs';

const oidcClient = process.env.KUBE_OIDC_CLIENT_ID;
const jwks = oidcClient ? createRemoteJWKSet(new URL(`${process.env.IDP_ISSUER}/jwks`)) : null;

/** Whether the API server takes this bearer token. */
async function authenticated(bearer) {
  if (!oidcClient) return active(bearer);
  try {
    await jwtVerify(bearer, jwks, { issuer: process.env.IDP_ISSUER, audience: oidcClient });
    return true;
  } catch {
    return false;
  }
}

const seen = [];
const server = https.createServer(
  { cert: fs.readFileSync(process.env.KUBE_CERT), key: fs.readFileSync(process.env.KUBE_KEY) },
  async (req, res) => {
    if (req.url === '/_control/seen') return json(res, 200, { seen });
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || !(await authenticated(bearer))) {
      return json(res, 401, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    }
    seen.push(bearer);
    if (req.method === 'GET' && req.url === '/api') {
      return json(res, 200, {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: req.headers.host }],
      });
    }
    json(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
  },
);
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ url: `https://127.0.0.1:${server.address().port}` })));
