// The add/edit form, one per grant kind: which fields, how each is checked, and how the typed
// text becomes the settings the engine reads (the same names as in profile.toml). Pure
// functions, tested in grants.test.ts.
import type { Fields, Metadata } from './api';

export type FieldType = 'text' | 'url' | 'secret' | 'select' | 'number' | 'numbers' | 'argv' | 'json' | 'datetime';

export interface FieldDef {
  /** The setting's name; `a.b` is a nested table (`[account.request]` in TOML). */
  key: string;
  label: string;
  type: FieldType;
  required?: boolean;
  help?: string;
  options?: { value: string; label: string }[];
  placeholder?: string;
  /** Shown under "More settings". */
  advanced?: boolean;
}

export interface GrantDef {
  kind: string;
  label: string;
  summary: string;
  /** Endpoints can be filled from an issuer (discovery). */
  discovery: boolean;
  /** A person signs in once (Log in), after which it renews itself. */
  login: boolean;
  fields: FieldDef[];
}

const authMethod = (withNone = false): FieldDef => ({
  key: 'auth_method',
  label: 'Client authentication',
  type: 'select',
  options: [
    { value: '', label: 'Default (Basic when there is a secret)' },
    { value: 'client_secret_basic', label: 'client_secret_basic (HTTP Basic)' },
    { value: 'client_secret_post', label: 'client_secret_post (in the form)' },
    ...(withNone ? [{ value: 'none', label: 'none (public client, PKCE)' }] : []),
  ],
  advanced: true,
});

const url = (key: string, label: string, required = true, help?: string): FieldDef => ({
  key,
  label,
  type: 'url',
  required,
  help,
  placeholder: 'https://',
});
const clientId: FieldDef = { key: 'client_id', label: 'Client ID', type: 'text', required: true };
const clientSecret = (required: boolean): FieldDef => ({
  key: 'client_secret',
  label: 'Client secret',
  type: 'secret',
  required,
});
const scope: FieldDef = { key: 'scope', label: 'Scope', type: 'text', placeholder: 'space-separated' };
const revocation = url('revocation_url', 'Revocation endpoint', false, 'Tokens are revoked there when the account is removed.');
const resource: FieldDef = { key: 'resource', label: 'Resource (RFC 8707)', type: 'text', advanced: true };
const audience: FieldDef = { key: 'audience', label: 'Audience', type: 'text', advanced: true };

/** Scheduling settings every account may override (else the app's settings apply). */
const POLICY: FieldDef[] = [
  {
    key: 'refresh_margin_secs',
    label: 'Refresh margin (seconds)',
    type: 'number',
    advanced: true,
    help: 'Refresh at least this long before expiry. Empty: the app setting.',
  },
  {
    key: 'on_refresh',
    label: 'Run after each refresh',
    type: 'argv',
    advanced: true,
    help: 'One argument per line; the new token’s metadata (never the token) is in its environment.',
  },
];

const WARNINGS: FieldDef = {
  key: 'warn_before_secs',
  label: 'Warn before expiry (seconds)',
  type: 'numbers',
  help: 'e.g. 604800 86400 3600 (7 days, 1 day, 1 hour). Empty: the app setting.',
};

export const GRANTS: GrantDef[] = [
  {
    kind: 'client_credentials',
    label: 'Client credentials',
    summary: 'A service’s own identity (OAuth 2 client ID and secret).',
    discovery: true,
    login: false,
    fields: [url('token_url', 'Token endpoint'), clientId, clientSecret(true), scope, revocation, audience, resource, authMethod()],
  },
  {
    kind: 'authorization_code',
    label: 'Your login (browser)',
    summary: 'Authorization code + PKCE in your browser; renewed with the refresh token after.',
    discovery: true,
    login: true,
    fields: [
      url('authorization_url', 'Authorization endpoint'),
      url('token_url', 'Token endpoint'),
      clientId,
      clientSecret(false),
      { ...scope, placeholder: 'openid offline_access …' },
      revocation,
      resource,
      authMethod(true),
    ],
  },
  {
    kind: 'device_code',
    label: 'Your login (device code)',
    summary: 'Approve on any device with a short code (RFC 8628).',
    discovery: true,
    login: true,
    fields: [
      url('device_authorization_url', 'Device authorization endpoint'),
      url('token_url', 'Token endpoint'),
      clientId,
      clientSecret(false),
      scope,
      revocation,
      authMethod(true),
    ],
  },
  {
    kind: 'refresh_token',
    label: 'Refresh token',
    summary: 'A refresh token you already have (rotated ones are kept).',
    discovery: true,
    login: false,
    fields: [
      url('token_url', 'Token endpoint'),
      clientId,
      { key: 'refresh_token', label: 'Refresh token', type: 'secret', required: true },
      clientSecret(false),
      scope,
      revocation,
      authMethod(true),
    ],
  },
  {
    kind: 'password',
    label: 'Password (legacy)',
    summary: 'Username and password at a token endpoint or an app’s own login URL.',
    discovery: false,
    login: false,
    fields: [
      url('token_url', 'Token endpoint', false, 'Standard OAuth password grant…'),
      url('login_url', 'Or: the app’s login URL', false, '…or an application’s own login endpoint (JSON body).'),
      { key: 'username', label: 'Username', type: 'text', required: true },
      { key: 'password', label: 'Password', type: 'secret', required: true },
      { ...clientId, required: false },
      clientSecret(false),
      scope,
      authMethod(),
    ],
  },
  {
    kind: 'custom',
    label: 'Custom endpoint',
    summary: 'A service token exchanged at a non-standard endpoint; the answer mapped by JSON pointers.',
    discovery: false,
    login: false,
    fields: [
      { key: 'secret', label: 'Service token / API key', type: 'secret', required: true },
      url('request.url', 'Request URL'),
      {
        key: 'request.method',
        label: 'Method',
        type: 'select',
        options: ['POST', 'GET', 'PUT'].map((m) => ({ value: m, label: m })),
      },
      {
        key: 'request.secret_in',
        label: 'The secret goes in',
        type: 'select',
        options: [
          { value: 'bearer', label: 'Authorization: Bearer' },
          { value: 'header', label: 'a header named…' },
          { value: 'basic', label: 'HTTP Basic, with the username…' },
          { value: 'query', label: 'a query parameter named…' },
          { value: 'form', label: 'a form field named…' },
          { value: 'json', label: 'the JSON body at pointer…' },
        ],
      },
      { key: 'request.secret_in_name', label: 'Name (header, field, pointer)', type: 'text', placeholder: 'X-Api-Key' },
      { key: 'response.access_token', label: 'Access token at', type: 'text', placeholder: '/access_token' },
      { key: 'response.expires_in', label: 'Lifetime (seconds) at', type: 'text', placeholder: '/expires_in' },
      { key: 'response.expires_at', label: 'Or expiry time at', type: 'text', placeholder: '/data/expiresAt' },
      { key: 'response.refresh_token', label: 'New secret (rotation) at', type: 'text', placeholder: '/refresh_token' },
      { key: 'request.headers', label: 'Headers (JSON object)', type: 'json', advanced: true },
      { key: 'request.query', label: 'Query parameters (JSON object)', type: 'json', advanced: true },
      { key: 'request.form', label: 'Form fields (JSON object)', type: 'json', advanced: true },
      { key: 'request.json', label: 'JSON body', type: 'json', advanced: true },
    ],
  },
  {
    kind: 'static',
    label: 'Long-lived token',
    summary: 'A token that cannot renew itself (a PAT, an API key): watched for expiry, with warnings.',
    discovery: false,
    login: false,
    fields: [
      { key: 'token', label: 'Token', type: 'secret', required: true },
      {
        key: 'expires_at',
        label: 'Expires',
        type: 'datetime',
        help: 'Not needed for a JWT with exp.',
      },
      WARNINGS,
    ],
  },
  {
    kind: 'token_exchange',
    label: 'Token exchange',
    summary: 'Trade another account’s token for one for this API (RFC 8693).',
    discovery: true,
    login: false,
    fields: [
      url('token_url', 'Token endpoint'),
      clientId,
      clientSecret(true),
      { key: 'subject_account', label: 'Subject: the token of account', type: 'text' },
      { key: 'subject_token', label: 'Or: a pasted subject token', type: 'secret' },
      audience,
      resource,
      scope,
      { key: 'subject_token_type', label: 'Subject token type', type: 'text', advanced: true },
      { key: 'requested_token_type', label: 'Requested token type', type: 'text', advanced: true },
      revocation,
      authMethod(),
    ],
  },
  {
    kind: 'command',
    label: 'Command',
    summary: 'A token printed by another tool (gcloud, az, kubectl, aws).',
    discovery: false,
    login: false,
    fields: [
      {
        key: 'command',
        label: 'Command',
        type: 'argv',
        required: true,
        help: 'One argument per line, e.g. gcloud / auth / print-access-token.',
      },
      { key: 'timeout_secs', label: 'Timeout (seconds)', type: 'number', advanced: true },
    ],
  },
];

export const grantDef = (kind: string): GrantDef =>
  GRANTS.find((g) => g.kind === kind) ?? GRANTS[0];

/** The form's fields for a kind, policy settings included. */
export const formFields = (kind: string): FieldDef[] => [...grantDef(kind).fields, ...POLICY];

/** What the person typed, by field key. */
export type Values = Record<string, string>;

const SECRET_IN_NAMED = ['header', 'basic', 'query', 'form', 'json'];

/**
 * Checks typed values: `held` are the secrets the account holds already (editing), which a
 * blank secret field keeps. Returns a message per field in error.
 */
export function validate(kind: string, values: Values, held: string[] = []): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const f of formFields(kind)) {
    const v = (values[f.key] ?? '').trim();
    if (!v) {
      if (f.required && !(f.type === 'secret' && held.includes(f.key))) errors[f.key] = 'Required.';
      continue;
    }
    if (f.type === 'url') {
      try {
        const u = new URL(v);
        const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
        if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback)) {
          errors[f.key] = 'Use https:// (plain http:// only on this machine).';
        }
      } catch {
        errors[f.key] = 'Not a URL.';
      }
    } else if (f.type === 'number' && !/^\d+$/.test(v)) {
      errors[f.key] = 'A whole number of seconds.';
    } else if (f.type === 'numbers' && !/^\d+([\s,]+\d+)*$/.test(v)) {
      errors[f.key] = 'Whole numbers of seconds, separated by spaces.';
    } else if (f.type === 'json') {
      try {
        JSON.parse(v);
      } catch {
        errors[f.key] = 'Not valid JSON.';
      }
    } else if (f.type === 'datetime' && Number.isNaN(Date.parse(v))) {
      errors[f.key] = 'Not a date and time.';
    }
  }
  if (kind === 'password' && !values.token_url?.trim() && !values.login_url?.trim()) {
    errors.token_url = 'Give a token endpoint or a login URL.';
  }
  if (kind === 'token_exchange' && !values.subject_account?.trim() && !values.subject_token?.trim() && !held.includes('subject_token')) {
    errors.subject_account = 'Name the subject account, or paste a subject token.';
  }
  const secretIn = values['request.secret_in'] ?? 'bearer';
  if (kind === 'custom' && SECRET_IN_NAMED.includes(secretIn) && !values['request.secret_in_name']?.trim()) {
    errors['request.secret_in_name'] = 'Name where the secret goes.';
  }
  return errors;
}

/** Typed values → the settings the engine reads (blank fields left out). */
export function toFields(kind: string, values: Values): Fields {
  const out: Fields = { grant: kind };
  const put = (key: string, value: unknown) => {
    const path = key.split('.');
    let at = out as Record<string, unknown>;
    for (const part of path.slice(0, -1)) at = (at[part] ??= {}) as Record<string, unknown>;
    at[path[path.length - 1]] = value;
  };
  for (const f of formFields(kind)) {
    const raw = values[f.key] ?? '';
    const v = f.type === 'secret' ? raw : raw.trim();
    if (!v.trim() || f.key === 'request.secret_in' || f.key === 'request.secret_in_name') continue;
    switch (f.type) {
      case 'number':
        put(f.key, Number(v));
        break;
      case 'numbers':
        put(f.key, v.split(/[\s,]+/).map(Number));
        break;
      case 'argv':
        put(f.key, v.split('\n').map((s) => s.trim()).filter(Boolean));
        break;
      case 'json':
        put(f.key, JSON.parse(v));
        break;
      case 'datetime':
        put(f.key, new Date(v).toISOString());
        break;
      default:
        put(f.key, v);
    }
  }
  if (kind === 'custom') {
    const where = values['request.secret_in'] || 'bearer';
    const name = values['request.secret_in_name']?.trim() ?? '';
    put('request.secret_in', where === 'bearer' ? 'bearer' : { [where]: name });
  }
  return out;
}

/** An account's stored settings → values for the edit form. */
export function fromSettings(settings: Record<string, unknown>): Values {
  const kind = String(settings.grant ?? '');
  const values: Values = {};
  const get = (key: string) =>
    key.split('.').reduce<unknown>((at, part) => (at && typeof at === 'object' ? (at as Record<string, unknown>)[part] : undefined), settings);
  for (const f of formFields(kind)) {
    const v = get(f.key);
    if (v === undefined || v === null || f.type === 'secret') continue;
    if (f.type === 'argv') values[f.key] = (v as string[]).join('\n');
    else if (f.type === 'numbers') values[f.key] = (v as number[]).join(' ');
    else if (f.type === 'json') values[f.key] = JSON.stringify(v, null, 2);
    else if (f.type === 'datetime') values[f.key] = localInput(String(v));
    else values[f.key] = String(v);
  }
  if (kind === 'custom') {
    const where = get('request.secret_in');
    if (typeof where === 'string') values['request.secret_in'] = where;
    else if (where && typeof where === 'object') {
      const [k, name] = Object.entries(where)[0] ?? ['bearer', ''];
      values['request.secret_in'] = k;
      values['request.secret_in_name'] = String(name);
    }
  }
  return values;
}

/** Endpoints found by discovery, as values for the kind's form. */
export function fromDiscovery(kind: string, meta: Metadata): Values {
  const found: Values = {
    token_url: meta.token_endpoint,
    authorization_url: meta.authorization_endpoint ?? '',
    device_authorization_url: meta.device_authorization_endpoint ?? '',
    revocation_url: meta.revocation_endpoint ?? '',
  };
  const keys = new Set(formFields(kind).map((f) => f.key));
  return Object.fromEntries(Object.entries(found).filter(([k, v]) => keys.has(k) && v));
}

/** An RFC 3339 time → a `datetime-local` input's value, in local time. */
function localInput(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}`;
}
