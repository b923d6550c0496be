// The test identity provider: a real, OpenID-certified authorization server (`oidc-provider`)
// configured for every flow Tokentray speaks. Tests and the demo start it with
// `node tests/idp/server.mjs`; it listens on 127.0.0.1 with an ephemeral port (or IDP_PORT) and
// prints one JSON line `{"issuer": "http://127.0.0.1:PORT"}` on stdout when it is ready.
//
// Environment:
//   IDP_ACCESS_TOKEN_TTL   access-token lifetime in seconds (default 3600; tests use seconds)
//   IDP_REFRESH_TOKEN_TTL  refresh-token lifetime in seconds (default 14 days)
//   IDP_PORT               a fixed port instead of an ephemeral one
//   IDP_DEVICE_INTERVAL    device-flow polling interval in seconds (default 5, RFC 8628)
//   IDP_REFRESH_REUSE_GRACE seconds during which a just-rotated refresh token may be used
//                          again (default 0: strict, a reuse revokes the grant)
//   IDP_MTLS_CERT, IDP_MTLS_KEY, IDP_MTLS_CA
//                          PEM files: with them the IdP also listens over HTTPS (this
//                          certificate, asking clients for theirs, trusting this CA for
//                          tls_client_auth) for mutual-TLS client authentication and
//                          certificate-bound tokens (RFC 8705); its address is `mtls` in the
//                          ready line and `mtls_endpoint_aliases` in discovery
//
// Logins need no person: /interaction/:uid logs the fixed test user in and grants what was
// asked, so a test can follow redirects (with a cookie jar) from /auth to the redirect_uri.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import Provider, { errors } from 'oidc-provider';
import { CLIENTS, RESOURCE, TEST_USER } from './clients.mjs';

const accessTtl = positiveInt(process.env.IDP_ACCESS_TOKEN_TTL, 3600);
const refreshTtl = positiveInt(process.env.IDP_REFRESH_TOKEN_TTL, 14 * 24 * 3600);
const deviceInterval = positiveInt(process.env.IDP_DEVICE_INTERVAL, 5);
const reuseGrace = process.env.IDP_REFRESH_REUSE_GRACE ? positiveInt(process.env.IDP_REFRESH_REUSE_GRACE, 0) : 0;

function positiveInt(value, fallback) {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`expected a positive whole number of seconds, got ${JSON.stringify(value)}`);
    process.exit(2);
  }
  return n;
}

// The issuer needs the port, and the port is known only once listen() returns.
const server = http.createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(Number(process.env.IDP_PORT || 0), '127.0.0.1', resolve);
});
const issuer = `http://127.0.0.1:${server.address().port}`;

// Mutual TLS: a second listener over HTTPS that asks for a client certificate and accepts any
// (the provider decides: tls_client_auth wants one from the CA, self_signed one registered).
let mtls;
let tlsServer;
if (process.env.IDP_MTLS_CERT) {
  const read = (name) => fs.readFileSync(process.env[name]);
  tlsServer = https.createServer({
    cert: read('IDP_MTLS_CERT'),
    key: read('IDP_MTLS_KEY'),
    ca: read('IDP_MTLS_CA'),
    requestCert: true,
    rejectUnauthorized: false,
  });
  await new Promise((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
  mtls = `https://127.0.0.1:${tlsServer.address().port}`;
}
const peerCertificate = (ctx) => {
  const raw = ctx.socket?.getPeerCertificate?.()?.raw;
  return raw ? new crypto.X509Certificate(raw) : undefined;
};

const provider = new Provider(issuer, {
  clients: CLIENTS,
  findAccount: async (_ctx, sub) => ({
    accountId: sub,
    claims: async () => ({ sub, name: 'Test User', email: 'test.user@example.test', email_verified: true }),
  }),
  claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'] },
  scopes: ['openid', 'offline_access', 'profile', 'email', 'api:read', 'api:write'],
  cookies: { keys: ['tokentray-test-idp-cookie-key'] },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  clientAuthMethods: [
    'client_secret_basic',
    'client_secret_jwt',
    'client_secret_post',
    'private_key_jwt',
    'none',
    ...(mtls ? ['tls_client_auth', 'self_signed_tls_client_auth'] : []),
  ],
  discovery: mtls
    ? {
        mtls_endpoint_aliases: {
          token_endpoint: `${mtls}/token`,
          revocation_endpoint: `${mtls}/token/revocation`,
          introspection_endpoint: `${mtls}/token/introspection`,
          device_authorization_endpoint: `${mtls}/device/auth`,
          pushed_authorization_request_endpoint: `${mtls}/request`,
        },
      }
    : {},
  features: {
    mTLS: {
      enabled: Boolean(mtls),
      certificateBoundAccessTokens: true,
      tlsClientAuth: true,
      selfSignedTlsClientAuth: true,
      getCertificate: peerCertificate,
      certificateAuthorized: (ctx) => ctx.socket?.authorized === true,
      certificateSubjectMatches: (ctx, property, expected) =>
        property === 'tls_client_auth_subject_dn' && peerCertificate(ctx)?.subject.replaceAll('\n', ',') === expected,
    },
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    deviceFlow: { enabled: true },
    introspection: { enabled: true },
    // DPoP (RFC 9449) with a nonce required on every proof, so that a client must take the
    // server's nonce from its `use_dpop_nonce` answer and ask again, as strict servers demand.
    dPoP: { enabled: true, nonceSecret: crypto.randomBytes(32), requireNonce: () => true },
    // Dynamic registration (RFC 7591), open on this loopback server: a test registers a
    // private_key_jwt client with the public key Tokentray generated (`tokentray key`), under
    // the client_id it asks for.
    registration: { enabled: true, idFactory: (ctx) => ctx.oidc.body?.client_id ?? crypto.randomUUID() },
    revocation: { enabled: true },
    // JWT access tokens (with `exp`) for one resource server; everything else stays opaque.
    resourceIndicators: {
      enabled: true,
      defaultResource: (_ctx, client, oneOf) => oneOf ?? client?.defaultResource ?? client?.default_resource,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, indicator) => {
        if (indicator !== RESOURCE) throw new errors.InvalidTarget(`unknown resource ${indicator}`);
        return { scope: 'api:read api:write', audience: RESOURCE, accessTokenTTL: accessTtl, accessTokenFormat: 'jwt' };
      },
    },
  },
  extraClientMetadata: { properties: ['default_resource'] },
  pkce: { required: () => true },
  // Every client allowed the refresh_token grant gets one, without the prompt=consent dance.
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  ttl: {
    AccessToken: accessTtl,
    ClientCredentials: accessTtl,
    RefreshToken: refreshTtl,
    AuthorizationCode: 60,
    DeviceCode: 600,
    Grant: refreshTtl,
    Interaction: 600,
    Session: refreshTtl,
  },
});

// oidc-provider accepts client_secret_basic and client_secret_post interchangeably for any
// confidential client; a real server may not, so the test IdP holds each client to its
// registered method and the tests can tell which one the client sent.
provider.use(async (ctx, next) => {
  await next();
  const client = ctx.oidc?.client;
  if (ctx.oidc?.route !== 'token' || !client) return;
  const usedBasic = /^basic /i.test(ctx.get('authorization'));
  const expected = client.tokenEndpointAuthMethod;
  if ((expected === 'client_secret_basic' && !usedBasic) || (expected === 'client_secret_post' && usedBasic)) {
    ctx.status = 401;
    ctx.body = { error: 'invalid_client', error_description: `this client must authenticate with ${expected}` };
  }
});

// A reuse grace for rotated refresh tokens, as Okta ("grace period"), Auth0 ("reuse
// interval") and Keycloak ("max reuse") offer: within it, the previous refresh token still
// works (and rotates again) instead of revoking the grant. It is what lets a client that
// crashed between the server's answer and its own commit recover (RFC 9700 §4.14.2).
if (reuseGrace > 0) {
  const find = provider.RefreshToken.find.bind(provider.RefreshToken);
  provider.RefreshToken.find = async (...args) => {
    const token = await find(...args);
    if (token?.consumed && Date.now() / 1000 - token.consumed <= reuseGrace) token.consumed = undefined;
    return token;
  };
}

// RFC 8628 §3.5 polling discipline, which oidc-provider leaves to the deployment: the device
// authorization response names an `interval`, and a client polling sooner than that gets
// `slow_down` (the interval then grows by 5 s). Only `authorization_pending` answers are
// replaced, so a token once issued is never withheld.
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const polls = new Map(); // device_code → { last, interval } (ms)
provider.use(async (ctx, next) => {
  await next();
  const route = ctx.oidc?.route;
  if (route === 'device_authorization' && ctx.status === 200) {
    ctx.body = { ...ctx.body, interval: deviceInterval };
  } else if (route === 'token' && ctx.oidc.params?.grant_type === DEVICE_GRANT && ctx.body?.error === 'authorization_pending') {
    const code = ctx.oidc.params.device_code;
    const now = Date.now();
    const seen = polls.get(code) ?? { last: 0, interval: deviceInterval * 1000 };
    if (now - seen.last < seen.interval) {
      seen.interval += 5000;
      ctx.body = { error: 'slow_down', error_description: `poll at most every ${seen.interval / 1000} s` };
    }
    seen.last = now;
    polls.set(code, seen);
  }
});

// OAuth 2.0 token exchange (RFC 8693), which oidc-provider leaves to the deployment: a
// confidential client trades a user's (opaque) access token for a new one acting for that
// user; the answer's token introspects with the user as `sub` and the exchanging client as
// `client_id`.
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
provider.registerGrantType(
  TOKEN_EXCHANGE,
  async (ctx) => {
    const { subject_token: subjectToken, subject_token_type: subjectType, scope } = ctx.oidc.params;
    if (!subjectToken || subjectType !== ACCESS_TOKEN_TYPE) {
      throw new errors.InvalidRequest(`subject_token of type ${ACCESS_TOKEN_TYPE} is required`);
    }
    const subject = await provider.AccessToken.find(subjectToken);
    if (!subject || subject.isExpired) throw new errors.InvalidGrant('the subject token is not active');
    // The exchanged token stands on a grant of the exchanging client for the same user.
    const grant = new provider.Grant({ accountId: subject.accountId, clientId: ctx.oidc.client.clientId });
    const granted = scope ?? subject.scope;
    if (granted) grant.addOIDCScope(granted);
    const token = new provider.AccessToken({
      accountId: subject.accountId,
      client: ctx.oidc.client,
      grantId: await grant.save(),
      scope: granted,
      gty: 'token_exchange',
    });
    ctx.body = {
      access_token: await token.save(),
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: 'Bearer',
      expires_in: token.expiration,
      scope: token.scope,
    };
  },
  ['subject_token', 'subject_token_type', 'requested_token_type', 'audience', 'resource', 'scope', 'actor_token', 'actor_token_type'],
);

async function autoInteraction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params, session } = details;
  if (prompt.name === 'login') {
    return provider.interactionFinished(req, res, { login: { accountId: TEST_USER } }, { mergeWithLastSubmission: false });
  }
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  const missing = prompt.details;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

const callback = provider.callback();
tlsServer?.on('request', callback);
server.on('request', (req, res) => {
  if (req.url.startsWith('/interaction/')) {
    autoInteraction(req, res).catch((err) => {
      res.statusCode = 500;
      res.end(String(err?.message ?? err));
    });
    return;
  }
  callback(req, res);
});

// A reader that went away must not take the server down with it.
process.stdout.on('error', () => {});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
process.stdout.write(`${JSON.stringify({ issuer, mtls })}\n`);
