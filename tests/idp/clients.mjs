// The test IdP's registered clients and fixed test user. Tests and the demo profile use these
// ids and secrets; they protect nothing but a server on 127.0.0.1 that lives for one test run.
export const TEST_USER = 'test-user';

// The one resource server whose access tokens are JWTs (`at+jwt`, with `exp`).
export const RESOURCE = 'urn:tokentray:test-api';

const userGrants = ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'];

export const CLIENTS = [
  {
    client_id: 'cc-basic',
    client_secret: 'cc-basic-secret',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'api:read api:write',
  },
  {
    client_id: 'cc-post',
    client_secret: 'cc-post-secret',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_post',
    scope: 'api:read api:write',
  },
  {
    // Client credentials whose tokens are JWTs for RESOURCE even without a `resource` parameter.
    client_id: 'cc-jwt',
    client_secret: 'cc-jwt-secret',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'api:read api:write',
    default_resource: RESOURCE,
  },
  {
    // Client credentials authenticated by an HS256 assertion keyed with the secret (RFC 7523).
    client_id: 'cc-secret-jwt',
    client_secret: 'cc-secret-jwt-secret-long-enough-for-hs256-keys',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_jwt',
    token_endpoint_auth_signing_alg: 'HS256',
    scope: 'api:read api:write',
  },
  {
    // A back end acting for a front end's user (RFC 8693 token exchange).
    client_id: 'cc-exchange',
    client_secret: 'cc-exchange-secret',
    grant_types: ['client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'openid api:read api:write',
  },
  {
    // A public native app: PKCE, any loopback port (RFC 8252 §7.3), device flow, rotation.
    client_id: 'app-native',
    application_type: 'native',
    grant_types: userGrants,
    response_types: ['code'],
    redirect_uris: ['http://127.0.0.1/callback'],
    token_endpoint_auth_method: 'none',
    scope: 'openid offline_access profile email api:read api:write',
  },
  {
    // A confidential client whose logins must be pushed first (RFC 9126): the browser URL may
    // carry only a request_uri.
    client_id: 'app-par',
    client_secret: 'app-par-secret',
    application_type: 'native',
    grant_types: userGrants,
    response_types: ['code'],
    redirect_uris: ['http://127.0.0.1/callback'],
    token_endpoint_auth_method: 'client_secret_basic',
    require_pushed_authorization_requests: true,
    scope: 'openid offline_access api:read',
  },
  {
    // The same as a confidential client, which may also trade its users' tokens for
    // narrower ones (RFC 8693: `narrow_by = "token_exchange"`).
    client_id: 'app-confidential',
    client_secret: 'app-confidential-secret',
    application_type: 'native',
    grant_types: [...userGrants, 'urn:ietf:params:oauth:grant-type:token-exchange'],
    response_types: ['code'],
    redirect_uris: ['http://127.0.0.1/callback'],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'openid offline_access profile email api:read api:write',
  },
];
