// A resource server of the tests' own, for `tokentray proxy`: it takes a bearer token the test
// IdP says is live (introspection), and can have the IdP revoke the one it last took, as a
// token revoked mid-run would be. It counts what it refused and the tokens it took. Prints
// {"url"} when ready.
//   ANY  /echo                 → 200 {method, path, query, body, sub} or 401
//   GET  /stream               → 200, five chunks 100 ms apart (streamed by the proxy)
//   POST /_control/revoke      → the last token taken is revoked at the IdP (RFC 7009)
//   GET  /_control/stats       → {"refused": n, "tokens": n distinct tokens taken, "requests": n}
import http from 'node:http';
import { active, json } from './introspect.mjs';

const issuer = process.env.IDP_ISSUER;
const tokens = [];
const stats = { refused: 0, tokens: 0, requests: 0 };

async function read(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname === '/_control/stats') return json(res, 200, stats);
  if (url.pathname === '/_control/revoke') {
    const token = tokens.at(-1);
    const answer = await fetch(`${issuer}/token/revocation`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('cc-basic:cc-basic-secret').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
    });
    return json(res, answer.ok ? 200 : 502, { revoked: answer.ok });
  }
  const body = await read(req);
  stats.requests += 1;
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (!bearer || !(await active(bearer))) {
    stats.refused += 1;
    res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer error="invalid_token"' });
    return res.end(JSON.stringify({ error: 'invalid_token' }));
  }
  if (!tokens.includes(bearer)) {
    tokens.push(bearer);
    stats.tokens += 1;
  } else if (tokens.at(-1) !== bearer) {
    tokens.push(bearer);
  }
  if (url.pathname === '/stream') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    for (let i = 0; i < 5; i += 1) {
      res.write(`chunk ${i}\n`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return res.end();
  }
  json(res, 200, { method: req.method, path: url.pathname, query: url.search, body, sub: 'ok', header: req.headers['x-test'] ?? null });
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })));
