// The test IdP itself: every flow later tests rely on works, unattended.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startIdp } from './start.mjs';
import { Browser, authorize } from './browser.mjs';

let idp;
before(async () => {
  idp = await startIdp({ accessTokenTtl: 5 });
});
after(() => idp.stop());

const b64url = (buf) => buf.toString('base64url');

async function post(path, form, basic) {
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) headers.authorization = `Basic ${Buffer.from(basic.join(':')).toString('base64')}`;
  const res = await fetch(`${idp.issuer}${path}`, { method: 'POST', headers, body: new URLSearchParams(form) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const introspect = (token) => post('/token/introspection', { token }, ['cc-basic', 'cc-basic-secret']);

async function login(clientId, extra = {}) {
  const { code, verifier, redirect, state, returnedState } = await authorize(idp.issuer, clientId, extra);
  assert.equal(returnedState, state);
  return { code, verifier, redirect };
}

test('auth code + PKCE completes unattended; refresh rotates; reuse revokes the family', async () => {
  const { code, verifier, redirect } = await login('app-native');
  const tokens = await post('/token', { grant_type: 'authorization_code', client_id: 'app-native', code, code_verifier: verifier, redirect_uri: redirect });
  assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
  assert.ok(tokens.body.refresh_token && tokens.body.id_token);

  const rotated = await post('/token', { grant_type: 'refresh_token', client_id: 'app-native', refresh_token: tokens.body.refresh_token });
  assert.equal(rotated.status, 200);
  assert.notEqual(rotated.body.refresh_token, tokens.body.refresh_token);

  // Replaying the old refresh token is refused and revokes the whole grant, the new one too:
  // exactly what losing a rotated refresh token in a crash would cost.
  const replay = await post('/token', { grant_type: 'refresh_token', client_id: 'app-native', refresh_token: tokens.body.refresh_token });
  assert.equal(replay.body.error, 'invalid_grant');
  const after = await post('/token', { grant_type: 'refresh_token', client_id: 'app-native', refresh_token: rotated.body.refresh_token });
  assert.equal(after.body.error, 'invalid_grant');
});

test('a wrong PKCE verifier is refused', async () => {
  const { code, redirect } = await login('app-native');
  const res = await post('/token', { grant_type: 'authorization_code', client_id: 'app-native', code, code_verifier: b64url(randomBytes(32)), redirect_uri: redirect });
  assert.equal(res.body.error, 'invalid_grant');
});

test('revocation: a revoked refresh token is inactive', async () => {
  const { code, verifier, redirect } = await login('app-confidential');
  const creds = ['app-confidential', 'app-confidential-secret'];
  const tokens = await post('/token', { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirect }, creds);
  assert.equal((await introspect(tokens.body.refresh_token)).body.active, true);
  const revoked = await post('/token/revocation', { token: tokens.body.refresh_token, token_type_hint: 'refresh_token' }, creds);
  assert.equal(revoked.status, 200);
  assert.equal((await introspect(tokens.body.refresh_token)).body.active, false);
});

test('device flow: pending, slow_down, approval through the real pages, tokens', async () => {
  const start = await post('/device/auth', { client_id: 'app-native', scope: 'openid offline_access api:read' });
  assert.equal(start.status, 200);
  const { device_code, user_code, verification_uri_complete, interval } = start.body;
  assert.equal(interval, 5);
  assert.ok(user_code && verification_uri_complete.includes('user_code='));
  const poll = () => post('/token', { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: 'app-native', device_code });
  assert.equal((await poll()).body.error, 'authorization_pending');
  // Polling sooner than `interval` is answered with slow_down (RFC 8628 §3.5).
  assert.equal((await poll()).body.error, 'slow_down');

  const browser = new Browser();
  const input = await browser.follow(verification_uri_complete);
  const confirm = await browser.submit(input);
  const done = await browser.submit(confirm);
  assert.match(done.body, /Sign-in Success/i);

  // After slow_down the interval is 10 s: wait it out, then the approved grant yields tokens.
  await new Promise((r) => setTimeout(r, 10_100));
  const tokens = await poll();
  assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
  assert.ok(tokens.body.access_token && tokens.body.refresh_token);
});

test('token exchange: a user token traded for one acting for that user', async () => {
  const { code, verifier, redirect } = await login('app-native');
  const user = await post('/token', { grant_type: 'authorization_code', client_id: 'app-native', code, code_verifier: verifier, redirect_uri: redirect });
  const exchanged = await post(
    '/token',
    { grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: user.body.access_token, subject_token_type: 'urn:ietf:params:oauth:token-type:access_token' },
    ['cc-exchange', 'cc-exchange-secret'],
  );
  assert.equal(exchanged.status, 200, JSON.stringify(exchanged.body));
  const info = (await introspect(exchanged.body.access_token)).body;
  assert.equal(info.sub, 'test-user');
  assert.equal(info.client_id, 'cc-exchange');
  const bogus = await post(
    '/token',
    { grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: 'not-a-token', subject_token_type: 'urn:ietf:params:oauth:token-type:access_token' },
    ['cc-exchange', 'cc-exchange-secret'],
  );
  assert.equal(bogus.body.error, 'invalid_grant');
});
