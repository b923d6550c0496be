// A resource server of the tests' own that takes DPoP-bound tokens as RFC 9449 §7 says: the
// `Authorization: DPoP <token>` must be active at the test IdP (IDP_ISSUER, introspection) and
// bound (`cnf.jkt`) to the key of the proof in the `DPoP` header; the proof must be signed by
// that key and name this request's method (`htm`) and URL (`htu`), the token's hash (`ath`), be
// fresh (`iat` within 60 s) and never seen before (`jti`). A DPoP-bound token used as a bearer
// token is refused. `GET /_control/stats` (no auth) says how many it accepted and why it
// refused the others.
//   IDP_ISSUER=http://127.0.0.1:PORT node tests/servers/dpop-api.mjs
import crypto from 'node:crypto';
import http from 'node:http';
import { calculateJwkThumbprint, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { introspect, json } from './introspect.mjs';

const seen = new Set();
let accepted = 0;
const refused = [];

const server = http.createServer(async (req, res) => {
  if (req.url === '/_control/stats') return json(res, 200, { accepted, refused });
  const refuse = (why) => {
    refused.push(why);
    res.writeHead(401, { 'www-authenticate': `DPoP error="invalid_token", error_description="${why}"` });
    res.end();
  };
  const token = /^DPoP (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (!token) return refuse('not a DPoP token');
  const proof = req.headers.dpop;
  if (!proof) return refuse('no proof');
  try {
    const { jwk, alg } = decodeProtectedHeader(proof);
    const { payload } = await jwtVerify(proof, await importJWK(jwk, alg), { typ: 'dpop+jwt', maxTokenAge: '60s' });
    const url = `http://${req.headers.host}${req.url.split('?')[0]}`;
    if (payload.htm !== req.method) return refuse(`htm ${payload.htm} is not ${req.method}`);
    if (payload.htu !== url) return refuse(`htu ${payload.htu} is not ${url}`);
    if (payload.ath !== crypto.createHash('sha256').update(token).digest('base64url')) return refuse('ath is not the token’s hash');
    if (seen.has(payload.jti)) return refuse('jti replayed');
    seen.add(payload.jti);
    const info = await introspect(token);
    if (!info.active) return refuse('the token is not active');
    const jkt = await calculateJwkThumbprint(jwk);
    if (info.cnf?.jkt !== jkt) return refuse('the token is not bound to the proof’s key');
    accepted += 1;
    json(res, 200, { jkt, client_id: info.client_id });
  } catch (e) {
    refuse(`bad proof: ${e.message}`);
  }
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })));
