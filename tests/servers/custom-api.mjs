// A small API server of the project's own that speaks the non-standard token patterns real
// back ends use, and misbehaves on request. Started by tests on 127.0.0.1 (ephemeral port);
// prints `{"url": "http://127.0.0.1:PORT"}` when ready. No dependencies.
//
//   POST /auth/service-token/refresh   Authorization: Bearer <service token>
//        → {"access_token": ..., "expires_in": TTL}
//   POST /gateway/token   Authorization: Bearer <service token> and X-Api-Key: <the API key>
//        → {"access_token": ..., "expires_in": TTL}; without the key, 403 (an API gateway)
//   POST /auth/refresh?refresh_token=<rt>
//        → {"data": {"accessToken": ..., "refreshToken": <new rt>, "expiresAt": ISO}} (rotation:
//          the old refresh token is refused afterwards)
//   POST /api/auth/login   {"username", "password"} (JSON)
//        → {"token": {"access": ..., "refresh": ..., "expires_in": TTL}}
//   POST /oauth/token   grant_type=password (username, password), refresh_token (rotating), or
//        client_credentials (any client id, secret `bench-secret`, for the benchmark):
//        the standard OAuth answer (the resource owner password grant, RFC 6749 §4.3)
//   POST /guide/auth/login   form username, password (the "Token Refresh Flow Guide")
//        → {"access_token", "refresh_token", "token_type", "expires_in": TTL}
//   POST /guide/auth/refresh?refresh_token=<rt>
//        → both rotated; a spent refresh token is refused and revokes its whole family
//   POST /noexp/jwt        Authorization: Bearer <service token> → {"access_token": a JWT whose
//        exp is TTL away}, no expires_in
//   POST /noexp/opaque     Authorization: Bearer <service token> → {"access_token"} and nothing
//        else: no lifetime stated anywhere
//   POST /api/service-tokens?days=N   Authorization: Bearer <the user's access token>
//        → {"token": a new service token (a JWT N days from its end)}, accepted from then on
//   GET  /api/me           Authorization: Bearer <access token> → 200 {"sub"} or 401
//
// Test controls:
//   POST /_control/refresh-token        → {"refresh_token": <a new valid one>}
//   POST /_control/fail  {"times", "status", "body", "headers", "delay_ms"}
//        the next `times` token requests get this answer instead
//   POST /_control/revoke-refresh-tokens → every refresh token is refused from now on
//   POST /_control/password {"password"}  → the user's password changes
//   POST /_control/service-token {"token"} → one more service token is accepted (a minted one)
//   GET  /_control/stats                → {"token_requests": n, "counts": {what: n}}: what the
//        server did, e.g. "guide-login", "guide-refresh", "oauth-password", "oauth-refresh"
//
// Environment: CUSTOM_TTL (seconds, default 900), CUSTOM_SERVICE_TOKEN, CUSTOM_USER,
// CUSTOM_PASSWORD, CUSTOM_API_KEY.
import http from 'node:http';
import { randomBytes } from 'node:crypto';

const ttl = Number(process.env.CUSTOM_TTL || 900);
const SERVICE_TOKEN = process.env.CUSTOM_SERVICE_TOKEN || 'svc-test-token';
const USER = process.env.CUSTOM_USER || 'alice';
let PASSWORD = process.env.CUSTOM_PASSWORD || 'alice-password';
const API_KEY = process.env.CUSTOM_API_KEY || 'gw-api-key-2f7c';

const accessTokens = new Map(); // token → { sub, exp (ms) }
const serviceTokens = new Set([SERVICE_TOKEN]);
const refreshTokens = new Map(); // token → sub
let failures = [];
let tokenRequests = 0;
const counts = {};
const count = (what) => (counts[what] = (counts[what] ?? 0) + 1);
const families = new Map(); // refresh token → family id (for reuse detection)
const spent = new Set();

const newToken = (prefix) => `${prefix}-${randomBytes(18).toString('base64url')}`;
function issueAccess(sub) {
  const token = newToken('at');
  accessTokens.set(token, { sub, exp: Date.now() + ttl * 1000 });
  return token;
}
function issueRefresh(sub) {
  const token = newToken('rt');
  refreshTokens.set(token, sub);
  return token;
}

function send(res, status, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/html' : 'application/json', ...headers });
  res.end(text);
}

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

const bearer = (req) => /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];

const tokenRoutes = {
  'POST /oauth/token': async (req, res) => {
    const form = new URLSearchParams(await readBody(req));
    let sub;
    count(`oauth-${form.get('grant_type')}`);
    if (form.get('grant_type') === 'password') {
      if (form.get('username') !== USER || form.get('password') !== PASSWORD) {
        return send(res, 400, { error: 'invalid_grant', error_description: 'wrong username or password' });
      }
      sub = USER;
    } else if (form.get('grant_type') === 'client_credentials') {
      // For the scheduler benchmark: any client id with the secret `bench-secret`.
      if (form.get('client_secret') !== 'bench-secret') return send(res, 401, { error: 'invalid_client' });
      return send(res, 200, { access_token: issueAccess(form.get('client_id')), token_type: 'Bearer', expires_in: ttl });
    } else if (form.get('grant_type') === 'refresh_token') {
      sub = refreshTokens.get(form.get('refresh_token'));
      if (!sub) return send(res, 400, { error: 'invalid_grant', error_description: 'refresh token unknown or already used' });
      refreshTokens.delete(form.get('refresh_token'));
    } else {
      return send(res, 400, { error: 'unsupported_grant_type' });
    }
    send(res, 200, { access_token: issueAccess(sub), token_type: 'Bearer', expires_in: ttl, refresh_token: issueRefresh(sub) });
  },
  'POST /auth/service-token/refresh': async (req, res) => {
    if (!serviceTokens.has(bearer(req))) return send(res, 401, { error: 'invalid_token', error_description: 'unknown service token' });
    send(res, 200, { access_token: issueAccess('service'), expires_in: ttl });
  },
  'POST /gateway/token': async (req, res) => {
    count('gateway');
    if (req.headers['x-api-key'] !== API_KEY) return send(res, 403, { error: 'forbidden', error_description: 'no API key' });
    if (!serviceTokens.has(bearer(req))) return send(res, 401, { error: 'invalid_token' });
    send(res, 200, { access_token: issueAccess('service'), expires_in: ttl });
  },
  'POST /auth/refresh': async (req, res, url) => {
    const rt = url.searchParams.get('refresh_token');
    const sub = refreshTokens.get(rt);
    if (!sub) return send(res, 401, { error: 'invalid_grant', error_description: 'refresh token unknown or already used' });
    refreshTokens.delete(rt);
    send(res, 200, {
      data: { accessToken: issueAccess(sub), refreshToken: issueRefresh(sub), expiresAt: new Date(Date.now() + ttl * 1000).toISOString() },
    });
  },
  'POST /noexp/jwt': async (req, res) => {
    count('noexp-jwt');
    if (!serviceTokens.has(bearer(req))) return send(res, 401, { error: 'invalid_token' });
    const exp = Math.floor(Date.now() / 1000) + ttl;
    const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const jwt = `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: 'service', exp, jti: newToken('j') })}.`;
    accessTokens.set(jwt, { sub: 'service', exp: exp * 1000 });
    send(res, 200, { access_token: jwt });
  },
  'POST /noexp/opaque': async (req, res) => {
    count('noexp-opaque');
    if (!serviceTokens.has(bearer(req))) return send(res, 401, { error: 'invalid_token' });
    send(res, 200, { access_token: issueAccess('service') });
  },
  'POST /api/service-tokens': async (req, res, url) => {
    count('service-token-created');
    const who = accessTokens.get(bearer(req));
    if (!who || who.exp <= Date.now() || who.sub !== USER) return send(res, 401, { detail: 'an admin login is needed' });
    const exp = Math.floor(Date.now() / 1000) + Number(url.searchParams.get('days') ?? 90) * 86_400;
    const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const token = `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: 'bot', exp, jti: newToken('s') })}.`;
    serviceTokens.add(token);
    send(res, 200, { token });
  },
  'POST /guide/auth/login': async (req, res) => {
    count('guide-login');
    const form = new URLSearchParams(await readBody(req));
    if (form.get('username') !== USER || form.get('password') !== PASSWORD) {
      return send(res, 401, { detail: 'Incorrect username or password' });
    }
    const rt = issueRefresh(USER);
    families.set(rt, rt);
    send(res, 200, { access_token: issueAccess(USER), refresh_token: rt, token_type: 'bearer', expires_in: ttl });
  },
  'POST /guide/auth/refresh': async (req, res, url) => {
    count('guide-refresh');
    const rt = url.searchParams.get('refresh_token');
    const family = families.get(rt);
    if (spent.has(rt)) {
      // Reuse of a rotated token: the whole family goes (what a lost rotation looks like).
      for (const [t, f] of families) if (f === family) refreshTokens.delete(t);
    }
    const sub = refreshTokens.get(rt);
    if (!sub) return send(res, 401, { detail: 'Invalid or expired refresh token' });
    refreshTokens.delete(rt);
    spent.add(rt);
    const next = issueRefresh(sub);
    families.set(next, family);
    send(res, 200, { access_token: issueAccess(sub), refresh_token: next, token_type: 'bearer', expires_in: ttl });
  },
  'POST /api/auth/login': async (req, res) => {
    count('login');
    let creds;
    try {
      creds = JSON.parse(await readBody(req));
    } catch {
      return send(res, 400, { error: 'invalid_request', error_description: 'expected a JSON body' });
    }
    if (creds.username !== USER || creds.password !== PASSWORD) {
      return send(res, 401, { error: 'invalid_credentials', error_description: 'wrong username or password' });
    }
    send(res, 200, { token: { access: issueAccess(USER), refresh: issueRefresh(USER), expires_in: ttl } });
  },
};

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  const route = `${req.method} ${url.pathname}`;
  if (route === 'POST /_control/refresh-token') return send(res, 200, { refresh_token: issueRefresh(USER) });
  if (route === 'POST /_control/fail') {
    const f = JSON.parse(await readBody(req));
    failures.push(...Array.from({ length: f.times ?? 1 }, () => f));
    return send(res, 200, { queued: failures.length });
  }
  if (route === 'POST /_control/service-token') {
    serviceTokens.add(JSON.parse(await readBody(req)).token);
    return send(res, 200, {});
  }
  if (route === 'POST /_control/password') {
    PASSWORD = JSON.parse(await readBody(req)).password;
    return send(res, 200, {});
  }
  if (route === 'POST /_control/revoke-refresh-tokens') {
    refreshTokens.clear();
    return send(res, 200, {});
  }
  if (route === 'GET /_control/stats') return send(res, 200, { token_requests: tokenRequests, counts });
  if (route === 'GET /api/me') {
    const t = accessTokens.get(bearer(req));
    if (!t || t.exp <= Date.now()) return send(res, 401, { error: 'invalid_token' });
    return send(res, 200, { sub: t.sub });
  }
  const handler = tokenRoutes[route];
  if (!handler) return send(res, 404, { error: 'not_found' });
  tokenRequests++;
  const fail = failures.shift();
  if (fail) {
    if (fail.delay_ms) await new Promise((r) => setTimeout(r, fail.delay_ms));
    return send(res, fail.status ?? 500, fail.body ?? '', fail.headers ?? {});
  }
  await handler(req, res, url);
});

server.listen(Number(process.env.CUSTOM_PORT || 0), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })}\n`);
});
// A reader that went away must not take the server down with it.
process.stdout.on('error', () => {});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
