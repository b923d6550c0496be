import { describe, expect, it } from 'vitest';
import { fromDiscovery, fromSettings, toFields, validate } from './grants';

describe('validate', () => {
  it('asks for what is required and explains bad values', () => {
    const errors = validate('client_credentials', { token_url: 'http://idp.example.com/token', client_id: '' });
    expect(errors.token_url).toMatch(/https/);
    expect(errors.client_id).toBe('Required.');
    expect(errors.client_secret).toBe('Required.');
  });
  it('accepts plain http only on this machine', () => {
    const ok = { token_url: 'http://127.0.0.1:8080/token', client_id: 'c', client_secret: 's' };
    expect(validate('client_credentials', ok)).toEqual({});
  });
  it('keeps a held secret when the field is left blank while editing', () => {
    const values = { token_url: 'https://idp/token', client_id: 'c', client_secret: '' };
    expect(validate('client_credentials', values, ['client_secret'])).toEqual({});
    expect(validate('client_credentials', values, [])).toHaveProperty('client_secret');
  });
  it('checks the rules that span fields', () => {
    expect(validate('password', { username: 'u', password: 'p' })).toHaveProperty('token_url');
    expect(validate('custom', { secret: 's', 'request.url': 'https://x/y', 'request.secret_in': 'header' })).toHaveProperty(
      'request.secret_in_name',
    );
    expect(validate('static', { token: 't', warn_before_secs: '86400, 3600' })).toEqual({});
    expect(validate('static', { token: 't', warn_before_secs: 'a day' })).toHaveProperty('warn_before_secs');
    expect(validate('custom', { secret: 's', 'request.url': 'https://x', 'request.headers': '{nope' })).toHaveProperty(
      'request.headers',
    );
  });
});

describe('toFields and fromSettings', () => {
  it('build the settings the engine reads, and read them back', () => {
    const values = {
      secret: 'sk-1',
      'request.url': 'https://billing.example.com/refresh',
      'request.method': 'GET',
      'request.secret_in': 'query',
      'request.secret_in_name': 'refresh_token',
      'response.access_token': '/data/accessToken',
      'request.headers': '{"X-App": "tokentray"}',
      refresh_margin_secs: '120',
      on_refresh: 'notify-send\nrefreshed',
    };
    const fields = toFields('custom', values);
    expect(fields).toEqual({
      grant: 'custom',
      secret: 'sk-1',
      request: {
        url: 'https://billing.example.com/refresh',
        method: 'GET',
        secret_in: { query: 'refresh_token' },
        headers: { 'X-App': 'tokentray' },
      },
      response: { access_token: '/data/accessToken' },
      refresh_margin_secs: 120,
      on_refresh: ['notify-send', 'refreshed'],
    });
    // The stored settings carry no secret; everything else comes back as typed.
    const { secret: _, ...stored } = fields;
    const back = fromSettings(stored);
    expect(back['request.secret_in']).toBe('query');
    expect(back['request.secret_in_name']).toBe('refresh_token');
    expect(back.on_refresh).toBe('notify-send\nrefreshed');
    expect(JSON.parse(back['request.headers'])).toEqual({ 'X-App': 'tokentray' });
    expect(back.secret).toBeUndefined();
  });
  it('leaves blank fields out and turns lists into arrays', () => {
    expect(toFields('static', { token: 'pat', expires_at: '', warn_before_secs: '86400 3600' })).toEqual({
      grant: 'static',
      token: 'pat',
      warn_before_secs: [86400, 3600],
    });
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
    };
    expect(fromDiscovery('client_credentials', meta)).toEqual({ token_url: 'https://idp/token' });
    expect(fromDiscovery('device_code', meta)).toEqual({
      token_url: 'https://idp/token',
      device_authorization_url: 'https://idp/device',
    });
  });
});
