// Asks the test IdP about a token (RFC 7662), as a resource server does: the servers of the
// tests (kube-api.mjs, git-http.mjs, bound-api.mjs) accept only a token the IdP says is live.
const issuer = process.env.IDP_ISSUER;
const [client, secret] = (process.env.INTROSPECT_AUTH ?? 'cc-basic:cc-basic-secret').split(':');
if (!issuer) {
  console.error('IDP_ISSUER must name the test IdP (http://127.0.0.1:PORT)');
  process.exit(2);
}

export async function active(token) {
  return (await introspect(token)).active === true;
}

/** The IdP's whole answer about a token (RFC 7662): `active`, `client_id`, `cnf`, … */
export async function introspect(token) {
  const answer = await fetch(`${issuer}/token/introspection`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${client}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token }),
  });
  return answer.ok ? answer.json() : { active: false };
}

/** A JSON answer. */
export function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
