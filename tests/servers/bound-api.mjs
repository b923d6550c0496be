// A resource server of the tests' own for sender-constrained tokens: the token must be active
// at the test IdP (IDP_ISSUER, introspection) and used by whoever it is bound to.
// - DPoP (RFC 9449 §7): `Authorization: DPoP <token>` bound (`cnf.jkt`) to the key of the proof
//   in the `DPoP` header; the proof signed by that key, naming this request's method (`htm`)
//   and URL (`htu`), the token's hash (`ath`), fresh (`iat` within 60 s) and never seen before
//   (`jti`). A DPoP-bound token used as a bearer token is refused.
// - Mutual TLS (RFC 8705 §3): with API_TLS_CERT, API_TLS_KEY and API_TLS_CA it listens over
//   HTTPS and asks for a client certificate; a token bound to one (`cnf.x5t#S256`) is taken
//   only over a connection that presents that certificate.
// `GET /_control/stats` (no auth) says how many it accepted and why it refused the others.
//   IDP_ISSUER=http://127.0.0.1:PORT [API_TLS_CERT=… API_TLS_KEY=… API_TLS_CA=…] node tests/servers/bound-api.mjs
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { calculateJwkThumbprint, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { introspect, json } from './introspect.mjs';

const seen = new Set();
let accepted = 0;
const refused = [];

async function handle(req, res) {
  if (req.url === '/_control/stats') return json(res, 200, { accepted, refused });
  const refuse = (why) => {
    refused.push(why);
    res.writeHead(401, { 'www-authenticate': `error="invalid_token", error_description="${why}"` });
    res.end();
  };
  const [, scheme, token] = /^(DPoP|Bearer) (.+)$/.exec(req.headers.authorization ?? '') ?? [];
  if (!token) return refuse('no token');
  const info = await introspect(token);
  if (!info.active) return refuse('the token is not active');
  const bound = info.cnf ?? {};
  if (bound['x5t#S256']) {
    const raw = req.socket.getPeerCertificate?.()?.raw;
    const presented = raw ? crypto.createHash('sha256').update(raw).digest('base64url') : undefined;
    if (presented !== bound['x5t#S256']) return refuse('the token is bound to another client certificate');
    accepted += 1;
    return json(res, 200, { x5t: presented, client_id: info.client_id });
  }
  if (!bound.jkt) return json(res, 200, { client_id: info.client_id });
  if (scheme !== 'DPoP') return refuse('not a DPoP token');
  const proof = req.headers.dpop;
  if (!proof) return refuse('no proof');
  try {
    const { jwk, alg } = decodeProtectedHeader(proof);
    const { payload } = await jwtVerify(proof, await importJWK(jwk, alg), { typ: 'dpop+jwt', maxTokenAge: '60s' });
    const url = `${req.socket.encrypted ? 'https' : 'http'}://${req.headers.host}${req.url.split('?')[0]}`;
    if (payload.htm !== req.method) return refuse(`htm ${payload.htm} is not ${req.method}`);
    if (payload.htu !== url) return refuse(`htu ${payload.htu} is not ${url}`);
    if (payload.ath !== crypto.createHash('sha256').update(token).digest('base64url')) return refuse('ath is not the token’s hash');
    if (seen.has(payload.jti)) return refuse('jti replayed');
    seen.add(payload.jti);
    const jkt = await calculateJwkThumbprint(jwk);
    if (bound.jkt !== jkt) return refuse('the token is not bound to the proof’s key');
    accepted += 1;
    json(res, 200, { jkt, client_id: info.client_id });
  } catch (e) {
    refuse(`bad proof: ${e.message}`);
  }
}

const tls = process.env.API_TLS_CERT;
const read = (name) => fs.readFileSync(process.env[name]);
const server = tls
  ? https.createServer({ cert: read('API_TLS_CERT'), key: read('API_TLS_KEY'), ca: read('API_TLS_CA'), requestCert: true, rejectUnauthorized: false }, handle)
  : http.createServer(handle);
server.listen(0, '127.0.0.1', () =>
  console.log(JSON.stringify({ url: `${tls ? 'https' : 'http'}://127.0.0.1:${server.address().port}` })),
);
