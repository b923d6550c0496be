// A token endpoint of the tests' own that takes the JWT bearer grant (RFC 7523 §2.1) the way
// Google's does for a service account: the assertion must be signed (RS256 or ES256) by a key it
// knows — the service account's public half (JWT_PUBLIC_KEY, a PEM), or one registered at
// /_control/keys (a JWK, as a person registers the public half `tokentray key` shows) — with
// `iss` a known issuer, `aud` this token endpoint's URL (or JWT_AUDIENCE), a `scope` claim
// (Google's rule; JWT_SCOPE_OPTIONAL=1 drops it), and at most one hour between `iat` and `exp`.
// With JWT_CLIENT=ID:SECRET, an assertion whose `iss` is ID must come with client_id=ID and
// client_secret=SECRET in the form, as Box wants. It prints {"url"} when ready.
//   POST /token          grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=JWT
//   GET  /api/me         Authorization: Bearer <a token it issued> → 200 {"sub", "scope"} or 401
//   POST /_control/keys  {"jwk": {...}, "iss": "..."} → that key signs for that issuer too
//   GET  /_control/stats → {"issued": n, "refused": {reason: n}, "assertions": [claims…]}
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { importJWK, importSPKI, jwtVerify, decodeProtectedHeader } from 'jose';

const GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const keys = []; // { iss, key }
const issued = new Map(); // token → { sub, scope }
const stats = { issued: 0, refused: {}, assertions: [] };
let base = '';

if (process.env.JWT_PUBLIC_KEY) {
  for (const alg of ['RS256', 'ES256']) {
    try {
      keys.push({ iss: process.env.JWT_ISSUER, key: await importSPKI(process.env.JWT_PUBLIC_KEY, alg), alg });
      break;
    } catch {}
  }
}

const send = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const refuse = (res, reason, description) => {
  stats.refused[reason] = (stats.refused[reason] ?? 0) + 1;
  send(res, 400, { error: 'invalid_grant', error_description: description });
};
const read = async (req) => {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
};

async function token(req, res) {
  const form = new URLSearchParams(await read(req));
  if (form.get('grant_type') !== GRANT) return send(res, 400, { error: 'unsupported_grant_type' });
  const assertion = form.get('assertion') ?? '';
  let header;
  try {
    header = decodeProtectedHeader(assertion);
  } catch {
    return refuse(res, 'malformed', 'the assertion is not a JWT');
  }
  const audience = process.env.JWT_AUDIENCE || `${base}/token`;
  for (const { iss, key, alg } of keys) {
    if (alg && header.alg !== alg) continue;
    let payload;
    try {
      ({ payload } = await jwtVerify(assertion, key, { issuer: iss, clockTolerance: 5 }));
    } catch (e) {
      if (e.code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' || e.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') continue;
      return refuse(res, 'invalid', e.message);
    }
    stats.assertions.push(payload);
    if (payload.aud !== audience) return refuse(res, 'audience', `aud must be ${audience}`);
    if (!payload.scope && !process.env.JWT_SCOPE_OPTIONAL) return refuse(res, 'scope', 'the assertion has no scope claim');
    if (!(payload.exp - payload.iat <= 3600)) return refuse(res, 'lifetime', 'an assertion lives one hour at most');
    const [clientId, clientSecret] = (process.env.JWT_CLIENT ?? '').split(':');
    if (clientId && payload.iss === clientId && (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret)) {
      return refuse(res, 'client', 'client_id and client_secret must come with the assertion');
    }
    const access = `ya29.${randomBytes(18).toString('base64url')}`;
    issued.set(access, { sub: payload.sub ?? payload.iss, scope: payload.scope ?? form.get('scope') });
    stats.issued += 1;
    return send(res, 200, { access_token: access, token_type: 'Bearer', expires_in: 3599 });
  }
  return refuse(res, 'signature', 'no key of a known issuer signed the assertion');
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, base);
  if (req.method === 'POST' && url.pathname === '/token') return token(req, res);
  if (req.method === 'GET' && url.pathname === '/api/me') {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const who = issued.get(bearer);
    return who ? send(res, 200, who) : send(res, 401, { error: 'invalid_token' });
  }
  if (req.method === 'POST' && url.pathname === '/_control/keys') {
    const { jwk, iss } = JSON.parse(await read(req));
    keys.push({ iss, key: await importJWK(jwk, jwk.alg), alg: jwk.alg });
    return send(res, 200, {});
  }
  if (req.method === 'GET' && url.pathname === '/_control/stats') return send(res, 200, stats);
  send(res, 404, { error: 'not_found' });
});
server.listen(0, '127.0.0.1', () => {
  base = `http://127.0.0.1:${server.address().port}`;
  console.log(JSON.stringify({ url: base }));
});
