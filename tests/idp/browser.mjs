import { createHash, randomBytes } from 'node:crypto';

// A person's browser without the person: follows redirects with a cookie jar and submits the
// IdP's forms as they are, so tests complete real logins (auth code, device flow) unattended.
export class Browser {
  #cookies = new Map();

  async #fetch(url, init = {}) {
    const headers = { ...(init.headers ?? {}), cookie: [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      this.#cookies.set(pair.slice(0, i).trim(), pair.slice(i + 1));
    }
    return res;
  }

  /**
   * Follows redirects from `url` until one leads to a URL starting with `stopAt` (returned
   * without being fetched) or a page answers (returned with its body).
   */
  async follow(url, { stopAt, init } = {}) {
    let res = await this.#fetch(url, init);
    for (let hops = 0; hops < 20; hops++) {
      const location = res.headers.get('location');
      if (!location) return { url, status: res.status, body: await res.text() };
      url = new URL(location, url).href;
      if (stopAt && url.startsWith(stopAt)) return { url, status: res.status, redirectedTo: url };
      res = await this.#fetch(url);
    }
    throw new Error('too many redirects');
  }

  /** Submits the first form on a page with its own fields (plus `extra`), following redirects. */
  async submit(page, extra = {}, options = {}) {
    const form = /<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/i.exec(page.body);
    if (!form) throw new Error(`no form on ${page.url}: ${page.body.slice(0, 200)}`);
    const fields = new URLSearchParams();
    for (const [tag] of form[2].matchAll(/<input[\s\S]*?>/gi)) {
      const name = /name="([^"]*)"/.exec(tag)?.[1];
      const value = /value="([^"]*)"/.exec(tag)?.[1] ?? '';
      if (name) fields.set(name, value);
    }
    for (const [k, v] of Object.entries(extra)) fields.set(k, v);
    return this.follow(new URL(form[1], page.url).href, {
      ...options,
      init: { method: 'POST', body: fields, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    });
  }
}

/**
 * Runs the authorization-code + PKCE front channel unattended (the IdP consents on its own)
 * and returns what the client needs to redeem the code.
 */
export async function authorize(issuer, clientId, extra = {}) {
  const b64url = (buf) => buf.toString('base64url');
  const verifier = b64url(randomBytes(32));
  const redirect = 'http://127.0.0.1:53682/callback';
  const state = b64url(randomBytes(8));
  const auth = new URL(`${issuer}/auth`);
  auth.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    redirect_uri: redirect,
    scope: 'openid offline_access api:read',
    state,
    code_challenge: b64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
    ...extra,
  });
  const done = await new Browser().follow(auth.href, { stopAt: redirect });
  const params = new URL(done.redirectedTo).searchParams;
  return { code: params.get('code'), returnedState: params.get('state'), state, verifier, redirect };
}
