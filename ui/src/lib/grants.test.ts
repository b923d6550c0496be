import { describe, expect, it } from 'vitest';
import type { Field } from './bindings/Field';
import { fromDiscovery, fromSettings, GRANTS, nameOf, toFields, urlProblem, validate } from './grants';

describe('validate', () => {
  it('asks for what is required and explains bad values', () => {
    const errors = validate('client_credentials', { token_url: 'http://idp.example.com/token', client_id: '' });
    expect(errors.token_url).toMatch(/https/);
    expect(errors.client_id).toBe('Required.');
    expect(errors.client_secret).toBe('Required.');
  });
  it('accepts plain http to this machine only, as the engine does (all of 127.0.0.0/8)', () => {
    expect(urlProblem('http://127.0.0.1:8080/token')).toBeNull();
    expect(urlProblem('http://127.4.5.6/token')).toBeNull();
    expect(urlProblem('http://localhost/token')).toBeNull();
    expect(urlProblem('http://[::1]:9/token')).toBeNull();
    expect(urlProblem('http://128.0.0.1/token')).toMatch(/https/);
    expect(urlProblem('ftp://idp/token')).toMatch(/scheme/);
    expect(urlProblem('not a url')).toBe('Not a URL.');
  });
  it('asks for no client secret when the client signs with a key (private_key_jwt)', () => {
    const values = { token_url: 'https://idp/token', client_id: 'c', auth_method: 'private_key_jwt' };
    expect(validate('client_credentials', values)).toEqual({});
    expect(validate('client_credentials', { ...values, auth_method: 'client_secret_jwt' })).toHaveProperty('client_secret');
  });
  it('asks for no endpoint when the account names its issuer (discovered by the engine)', () => {
    const values = { client_id: 'c', client_secret: 's' };
    expect(validate('client_credentials', values)).toHaveProperty('token_url');
    expect(validate('client_credentials', { ...values, issuer: 'https://idp.example.com' })).toEqual({});
    expect(validate('client_credentials', { ...values, issuer: 'http://idp.example.com' })).toHaveProperty('issuer');
    expect(validate('authorization_code', { client_id: 'c' })).toHaveProperty('authorization_url');
    expect(validate('authorization_code', { client_id: 'c', issuer: 'https://idp.example.com' })).toEqual({});
    expect(validate('device_code', { client_id: 'c', issuer: 'https://idp.example.com' })).toEqual({});
  });
  it('keeps a held secret when the field is left blank while editing', () => {
    const values = { token_url: 'https://idp/token', client_id: 'c', client_secret: '' };
    expect(validate('client_credentials', values, ['client_secret'])).toEqual({});
    expect(validate('client_credentials', values, [])).toHaveProperty('client_secret');
  });
  it('checks the rules that span fields, from the schema', () => {
    expect(validate('password', { username: 'u', password: 'p' })).toHaveProperty('token_url');
    expect(validate('token_exchange', { token_url: 'https://x', client_id: 'c', client_secret: 's' })).toHaveProperty('subject_account');
    expect(validate('token_exchange', { token_url: 'https://x', client_id: 'c', client_secret: 's' }, ['subject_token'])).toEqual({});
    expect(validate('password', { username: 'u', password: 'p', token_url: 'https://a', login_url: 'https://b' })).toHaveProperty('token_url');
    expect(validate('custom', { secret: 's', 'request.url': 'https://x/y', 'request.secret_in': 'header' })).toHaveProperty(
      nameOf('request.secret_in'),
    );
    expect(validate('static', { token: 't', warn_before_secs: '86400, 3600' })).toEqual({});
    expect(validate('static', { token: 't', warn_before_secs: 'a day' })).toHaveProperty('warn_before_secs');
    // The engine's ranges, as the schema states them: a threshold past 366 days, a margin past a day.
    expect(validate('static', { token: 't', warn_before_secs: '86400 99999999999999' })['warn_before_secs']).toMatch(/31622400/);
    expect(validate('static', { token: 't', warn_before_secs: '0' })).toHaveProperty('warn_before_secs');
    const cc = { token_url: 'https://x/t', client_id: 'c', client_secret: 's' };
    expect(validate('client_credentials', { ...cc, refresh_margin_secs: '86401' })).toHaveProperty('refresh_margin_secs');
    expect(validate('client_credentials', { ...cc, refresh_margin_secs: '86400' })).toEqual({});
    expect(validate('custom', { secret: 's', 'request.url': 'https://x', 'request.headers': '{nope' })).toHaveProperty(
      'request.headers',
    );
  });
});

describe('toFields', () => {
  it('sends every field: blank ones as null (cleared), blank secrets not at all (kept)', () => {
    const fields = toFields('static', { token: '', expires_at: '', warn_before_secs: '86400 3600' });
    expect(fields).toMatchObject({ grant: 'static', expires_at: null, refresh_margin_secs: null, warn_before_secs: [86400, 3600] });
    expect(fields).not.toHaveProperty('token');
  });
  it('sends an optional table left empty as cleared whole, and asks for its required fields once begun', () => {
    const login = { login_url: 'https://app/login', username: 'u', password: 'p' };
    expect(toFields('password', login).refresh).toBeNull();
    expect(validate('password', login)).toEqual({});
    const begun = { ...login, 'refresh.method': 'POST' };
    expect(validate('password', begun)).toHaveProperty('refresh.url', 'Required.');
    const withTokenUrl = { token_url: 'https://idp/token', username: 'u', password: 'p', 'refresh.url': 'https://app/refresh' };
    expect(validate('password', withTokenUrl)['refresh.url']).toMatch(/login URL/);
  });
  it('writes where a custom request puts its secret', () => {
    const values = { secret: 'sk-1', 'request.url': 'https://b/refresh', 'request.secret_in': 'query', [nameOf('request.secret_in')]: 'rt' };
    expect((toFields('custom', values).request as Record<string, unknown>).secret_in).toEqual({ query: 'rt' });
    expect((toFields('custom', { 'request.url': 'https://b' }).request as Record<string, unknown>).secret_in).toBe('bearer');
  });
  it("sends a custom request's sealed API key with its place, and none when not set", () => {
    const base = { secret: 'sk-1', 'request.url': 'https://b/refresh' };
    const keyed = toFields('custom', { ...base, api_key: 'k-1', api_key_in: 'header', [nameOf('api_key_in')]: 'X-Api-Key' });
    expect(keyed.api_key).toBe('k-1');
    expect(keyed.api_key_in).toEqual({ header: 'X-Api-Key' });
    expect(toFields('custom', base).api_key_in).toBeNull();
    expect(validate('custom', { ...base, api_key_in: 'header' })).toHaveProperty(nameOf('api_key_in'));
  });
});

/** A small seeded generator: the same cases every run, many shapes. */
function random(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: T[]): T => xs[int(xs.length)];
  const word = () => Array.from({ length: 1 + int(10) }, () => pick([...'abcxyz0189-_/:.@'])).join('');
  return { next, int, pick, word };
}

/** A value the engine would store for `f`, as it stores it. */
function sample(f: Field, r: ReturnType<typeof random>): unknown {
  switch (f.kind) {
    case 'url':
      return r.pick([`https://h${r.int(99)}.example.com/p/${r.word()}`, `http://127.${r.int(256)}.0.1:${1 + r.int(65000)}/t`, 'http://localhost/x']);
    case 'select':
      return r.pick(f.choices).value;
    case 'number':
      return r.int(100_000);
    case 'numbers':
      return Array.from({ length: 1 + r.int(3) }, () => r.int(1_000_000));
    case 'argv':
      return Array.from({ length: 1 + r.int(4) }, r.word);
    case 'bool':
      return r.next() < 0.5;
    case 'lines':
      return Array.from({ length: 1 + r.int(4) }, () => `${r.word()}.example.com`);
    case 'table':
      return Object.fromEntries(Array.from({ length: 1 + r.int(3) }, () => [r.word(), r.word()]));
    case 'json':
      return r.pick([{ [r.word()]: r.word() }, { a: { b: [1, 'two', null, true] } }, [r.word()], 'text', 42]);
    case 'datetime':
      return new Date(Date.UTC(2020 + r.int(20), r.int(12), 1 + r.int(28), r.int(24), r.int(60), r.int(60))).toISOString().replace('.000Z', 'Z');
    case 'secret_in':
      return r.next() < 0.3 ? 'bearer' : { [r.pick(f.choices.filter((c) => c.value !== 'bearer')).value]: r.word() };
    default:
      return r.word();
  }
}

function put(into: Record<string, unknown>, key: string, value: unknown) {
  const path = key.split('.');
  let at = into;
  for (const part of path.slice(0, -1)) at = (at[part] ??= {}) as Record<string, unknown>;
  at[path[path.length - 1]] = value;
}

/** `null`s are "not set" to the engine's merge: left out for comparing. */
function withoutNulls(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  const kept = Object.entries(v as Record<string, unknown>)
    .filter(([, x]) => x !== null)
    .map(([k, x]) => [k, withoutNulls(x)] as const)
    .filter(([, x]) => !(x && typeof x === 'object' && !Array.isArray(x) && Object.keys(x).length === 0));
  return Object.fromEntries(kept);
}

describe('the form model on the exported schema', () => {
  it('round-trips every grant’s settings through edit and save unchanged (generated, 300 per grant)', () => {
    expect(GRANTS.length).toBe(10);
    for (const grant of GRANTS) {
      for (let i = 0; i < 300; i++) {
        const r = random(i * 7919 + grant.kind.length);
        const settings: Record<string, unknown> = { grant: grant.kind };
        // An optional table is given whole or not at all.
        const skipped = grant.optional_tables.filter(() => i > 0 && r.next() < 0.5).map((t) => `${t.table}.`);
        for (const f of grant.fields) {
          // Secrets are never stored in the settings nor sent back to the form.
          if (f.kind === 'secret' || skipped.some((p) => f.key.startsWith(p))) continue;
          if (f.required || i === 0 || r.next() < 0.6) put(settings, f.key, sample(f, r));
        }
        const sent = toFields(grant.kind, fromSettings(settings));
        expect(withoutNulls(sent), `${grant.kind} #${i}`).toEqual(settings);
        // And every field the schema names is sent, set or cleared: none can be dropped.
        for (const f of grant.fields.filter((f) => f.kind !== 'secret')) {
          // A table sent as `null` (cleared whole) counts for every field in it.
          const at = f.key.split('.').reduce<unknown>((o, k) => (o === null ? null : (o as Record<string, unknown>)?.[k]), sent);
          expect(at, `${grant.kind}: ${f.key} not sent`).not.toBeUndefined();
        }
      }
    }
  });
});

describe('fromDiscovery', () => {
  it('fills only the endpoints the form has', () => {
    const meta = {
      issuer: 'https://idp',
      token_endpoint: 'https://idp/token',
      authorization_endpoint: 'https://idp/auth',
      device_authorization_endpoint: 'https://idp/device',
      revocation_endpoint: null,
      introspection_endpoint: null,
      token_endpoint_auth_methods_supported: [],
      code_challenge_methods_supported: [],
      grant_types_supported: [],
      scopes_supported: [],
      pushed_authorization_request_endpoint: 'https://idp/par',
      require_pushed_authorization_requests: false,
      dpop_signing_alg_values_supported: [],
      mtls_endpoint_aliases: { token_endpoint: 'https://mtls.idp/token', revocation_endpoint: null, device_authorization_endpoint: null, pushed_authorization_request_endpoint: null },
    };
    expect(fromDiscovery('client_credentials', meta)).toEqual({ token_url: 'https://idp/token' });
    expect(fromDiscovery('device_code', meta)).toEqual({
      token_url: 'https://idp/token',
      device_authorization_url: 'https://idp/device',
    });
    expect(fromDiscovery('authorization_code', meta)).toMatchObject({ par_url: 'https://idp/par' });
    // A client with a certificate goes to the mutual-TLS aliases.
    expect(fromDiscovery('client_credentials', meta, { auth_method: 'tls_client_auth' })).toEqual({ token_url: 'https://mtls.idp/token' });
  });
});
