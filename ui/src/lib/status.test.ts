import { describe, expect, it } from 'vitest';
import type { AccountView } from './api';
import { byAttention, matches, statusLabel } from './status';

const account = (name: string, status: AccountView['status'], grant: AccountView['grant'] = 'client_credentials'): AccountView => ({
  name,
  grant,
  status,
  expires_at: null,
  expiry_assumed: false,
  credential: null,
  last_refresh: null,
  next_refresh: null,
  scope: null,
  error: null,
});

describe('byAttention', () => {
  it('puts what needs the person first, then by name', () => {
    const list = [account('b', 'ok'), account('a', 'ok'), account('z', 'needs_reauth'), account('m', 'retrying')];
    expect(list.sort(byAttention).map((a) => a.name)).toEqual(['z', 'm', 'a', 'b']);
  });
});

describe('matches', () => {
  const gh = account('GitHub-bot', 'ok', 'static');
  it('searches names case-insensitively, and grant kinds', () => {
    expect(matches(gh, 'github', 'all')).toBe(true);
    expect(matches(gh, 'static', 'all')).toBe(true);
    expect(matches(gh, 'gitlab', 'all')).toBe(false);
  });
  it('filters by status or by "needs attention"', () => {
    expect(matches(gh, '', 'ok')).toBe(true);
    expect(matches(gh, '', 'attention')).toBe(false);
    expect(matches(account('x', 'failing'), '', 'attention')).toBe(true);
    expect(matches(account('x', 'expiring'), '', 'attention')).toBe(true);
  });
});

describe('statusLabel', () => {
  it('says "needs login" only where logging in helps', () => {
    expect(statusLabel(account('me', 'needs_reauth', 'authorization_code'))).toBe('needs login');
    expect(statusLabel(account('svc', 'needs_reauth', 'client_credentials'))).toBe('refused');
    expect(statusLabel(account('svc', 'ok'))).toBe('ok');
  });
  it('refuses a status the engine does not have instead of guessing', () => {
    expect(() => statusLabel(account('x', 'sleeping' as AccountView['status']))).toThrow(/does not have/);
  });
});
