// A token server of the tests' own that rotates refresh tokens with strict reuse detection,
// as the servers behind teams' service accounts do: each refresh token works once; presenting
// one already used revokes its whole family. It counts, per family, the rotations it made and
// the reuses it caught, and says whether an access token it issued is still live, so a test
// can check that no engine of a team was ever served an expired token and that every family
// was refreshed exactly once per rotation recorded.
//   ROTATING_TTL=5 (access token seconds)  ROTATING_GRACE=0 (seconds an old refresh token still
//   works after its rotation, answered with the same next refresh token: a "reuse grace")
//   POST /token  grant_type=refresh_token&refresh_token=fam-N-K
//   GET  /check?token=…&at=MS  {active (then), expires_at_ms}
//   GET  /stats  {rotations, reuses, revoked, graces, lateness: {p50, p99, max, after_expiry, of}}
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';

const ttl = Number(process.env.ROTATING_TTL ?? 5);
const grace = Number(process.env.ROTATING_GRACE ?? 0) * 1000;
/** family → { current, previous, previousUntil, revoked } */
const families = new Map();
const rotations = {};
const reuses = {};
/** Old refresh tokens answered within the grace, per family (no rotation counted). */
const graces = {};
/** access token → expiry (ms) */
const access = new Map();
/** Per rotation: how long after the family's previous access token ran out it came (ms;
 * negative: that many ms before). */
const lateness = [];
const lastExpiry = new Map();

function family(name) {
  if (!families.has(name)) families.set(name, { current: `${name}-0`, revoked: false });
  return families.get(name);
}

function issue(name) {
  const token = `at-${name}-${randomBytes(8).toString('hex')}`;
  access.set(token, Date.now() + ttl * 1000);
  return { access_token: token, token_type: 'Bearer', expires_in: ttl };
}

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function token(res, form) {
  const presented = form.get('refresh_token') ?? '';
  const name = presented.replace(/-\d+$/, '');
  if (form.get('grant_type') !== 'refresh_token' || !name.startsWith('fam-')) {
    return json(res, 400, { error: 'invalid_request' });
  }
  const f = family(name);
  if (f.revoked) return json(res, 400, { error: 'invalid_grant', error_description: 'family revoked (reuse detected)' });
  if (presented === f.current) {
    const n = Number(presented.split('-').pop()) + 1;
    f.previous = presented;
    f.previousUntil = Date.now() + grace;
    f.current = `${name}-${n}`;
    rotations[name] = (rotations[name] ?? 0) + 1;
    if (lastExpiry.has(name)) lateness.push(Date.now() - lastExpiry.get(name));
    lastExpiry.set(name, Date.now() + ttl * 1000);
    return json(res, 200, { ...issue(name), refresh_token: f.current });
  }
  if (presented === f.previous && Date.now() < f.previousUntil) {
    // Within the grace: the same next refresh token again, with a fresh access token (the
    // first answer was lost in flight). Not a new rotation.
    graces[name] = (graces[name] ?? 0) + 1;
    if (process.env.ROTATING_LOG) console.error(`${new Date().toISOString()} grace ${name} presented ${presented} current ${f.current}`);
    return json(res, 200, { ...issue(name), refresh_token: f.current });
  }
  // A refresh token already used: someone else holds its successor. Revoke the family. (Said
  // on stderr, with how stale it was: a failing test shows why.)
  const late = f.previousUntil === undefined ? '' : ` ${Date.now() - f.previousUntil} ms after the grace of ${f.previous}`;
  console.error(`${new Date().toISOString()} reuse ${name}: presented ${presented}, current ${f.current}${late}`);
  f.revoked = true;
  reuses[name] = (reuses[name] ?? 0) + 1;
  return json(res, 400, { error: 'invalid_grant', error_description: 'refresh token reuse detected' });
}

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (req.method === 'GET' && url.pathname === '/stats') {
    const revoked = [...families].filter(([, f]) => f.revoked).map(([n]) => n);
    const sorted = [...lateness].sort((a, b) => a - b);
    const at = (q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : null);
    const late = { p50: at(0.5), p99: at(0.99), max: at(1), after_expiry: sorted.filter((x) => x > 0).length, of: sorted.length };
    return json(res, 200, { rotations, reuses, revoked, graces, lateness: late });
  }
  if (req.method === 'GET' && url.pathname === '/check') {
    const until = access.get(url.searchParams.get('token') ?? '');
    // `at`: the moment (ms) the token was served: was it still live then?
    const at = Number(url.searchParams.get('at') ?? Date.now());
    return json(res, 200, { known: until !== undefined, active: until !== undefined && until > at, expires_at_ms: until ?? null });
  }
  if (req.method === 'POST' && url.pathname === '/token') {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => token(res, new URLSearchParams(body)));
    return;
  }
  json(res, 404, { error: 'not_found' });
});
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` }));
});
