// In front of moto's STS (PyPI `moto[server]`, which answers AssumeRoleWithWebIdentity for any
// token): this checks first, as AWS does for an OIDC provider it trusts, that the web identity
// token is a live ID token of the test IdP — signed by a key of its JWKS, `iss` the IdP, `aud`
// STS_AUDIENCE, not expired — then passes the request on to moto (MOTO_URL) and its answer
// back. Anything else is refused as STS refuses it. It counts both. Prints {"url"} when ready.
//   GET /_control/stats → {"assumed": n, "refused": n}
import http from 'node:http';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const issuer = process.env.IDP_ISSUER;
const audience = process.env.STS_AUDIENCE;
const moto = process.env.MOTO_URL;
const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
const stats = { assumed: 0, refused: 0 };

const read = async (req) => {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
};

const refuse = (res, code, message) => {
  stats.refused += 1;
  res.writeHead(400, { 'content-type': 'text/xml' });
  res.end(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>front</RequestId></ErrorResponse>`);
};

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname === '/_control/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify(stats));
  }
  const body = await read(req);
  const form = new URLSearchParams(body);
  if (form.get('Action') === 'AssumeRoleWithWebIdentity') {
    try {
      await jwtVerify(form.get('WebIdentityToken') ?? '', jwks, { issuer, audience });
    } catch (e) {
      return refuse(res, 'InvalidIdentityToken', `the web identity token is not a live ID token of ${issuer} (${e.code ?? e.message})`);
    }
  }
  const answer = await fetch(`${moto}${url.pathname}${url.search}`, {
    method: req.method,
    headers: { 'content-type': req.headers['content-type'] ?? 'application/x-www-form-urlencoded' },
    body: req.method === 'GET' ? undefined : body,
  });
  if (answer.ok && form.get('Action') === 'AssumeRoleWithWebIdentity') stats.assumed += 1;
  res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/xml' });
  res.end(await answer.text());
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })));
