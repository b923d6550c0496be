// The real desktop app, driven through WebDriver (tauri-driver + WebKitWebDriver), against the
// real test IdP. Needs a display and a session bus: tests/run-all.sh provides both (Xvfb and
// dbus-run-session, with dunst as the notification server and xclip to read the clipboard).
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { writeFileSync, existsSync, readFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { startIdp } from '../idp/start.mjs';
import { Browser } from '../idp/browser.mjs';
import { startApp, root, cli, waitFor, clipboard, By, until, diagnosed } from './session.mjs';
import { startWatcher } from './sni-watcher.mjs';

let idp;
let app;
/** A failing test says what the window showed. */
const test = diagnosed(() => app);
let driver;
/** Every desktop notification the app sends, as dbus-monitor prints them. */
let notifications = '';
let monitor;
/** The tray as a panel sees it (StatusNotifierItem + dbusmenu). */
let watcher;
/** While this file exists, the system browser opens nothing (once). */
let browserSkip;

before(async () => {
  // 8 s tokens are due after ~4 s, so the test sees a refresh within seconds.
  idp = await startIdp({ accessTokenTtl: 8, env: { IDP_DEVICE_INTERVAL: '1' } });
  monitor = spawn('dbus-monitor', ['--session', "interface='org.freedesktop.Notifications',member='Notify'"]);
  monitor.stdout.on('data', (d) => (notifications += d));
  watcher = await startWatcher();
  // The system browser for auth-code logins (xdg-open honours $BROWSER): curl follows the IdP's
  // pages, which consent on their own, with a cookie jar, as a person's browser would.
  const bin = mkdtempSync(join(tmpdir(), 'tokentray-browser-'));
  // A file `skip` makes it one that never opened (once), as when no browser is set up.
  browserSkip = join(bin, 'skip');
  writeFileSync(
    join(bin, 'browser'),
    `#!/bin/sh\nif [ -e ${browserSkip} ]; then rm ${browserSkip}; exit 0; fi\nexec curl -sL -c ${join(bin, 'jar')} -o /dev/null "$1"\n`,
    { mode: 0o755 },
  );
  app = await startApp({
    env: { BROWSER: join(bin, 'browser') },
    profile: (home) => {
      writeFileSync(join(home, 'hook.sh'), `{ tr '\\0' ' ' < /proc/$$/cmdline; echo; env; } >> ${join(home, 'hook.out')}\n`);
      return `[[account]]
name = "e2e-basic"
grant = "client_credentials"
token_url = "${idp.issuer}/token"
client_id = "cc-basic"
client_secret = "cc-basic-secret"
scope = "api:read"
on_refresh = ["sh", "${join(home, 'hook.sh')}"]

[[account]]
name = "e2e-refused"
grant = "client_credentials"
token_url = "${idp.issuer}/token"
client_id = "cc-post"
client_secret = "not-the-secret"
auth_method = "client_secret_post"
`;
    },
  });
  driver = app.driver;
});

after(async () => {
  await app?.stop();
  monitor?.kill();
  watcher?.stop();
  idp?.stop();
});

const introspect = async (token) => {
  const res = await fetch(`${idp.issuer}/token/introspection`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from('cc-basic:cc-basic-secret').toString('base64')}` },
    body: new URLSearchParams({ token }),
  });
  return res.json();
};

test('the window lists the account with a live expiry, and refreshes it', async () => {
  const row = await driver.wait(until.elementLocated(By.css('tr[data-account="e2e-basic"][data-status="ok"]')), 20_000);
  assert.match(await row.findElement(By.css('td.grant')).getAttribute('textContent'), /client credentials/i);
  const expires = row.findElement(By.css('td.expires'));
  assert.match(await expires.getAttribute('textContent'), /^in \d+s$/);
  const first = await row.getAttribute('data-expires-at');
  assert.ok(Date.parse(first) > Date.now(), `expires_at ${first} should be in the future`);
  // The engine refreshes the 8 s token after ~4 s; the row must show the new expiry unasked.
  await driver.wait(async () => (await row.getAttribute('data-expires-at')) !== first, 15_000);
  assert.ok(Date.parse(await row.getAttribute('data-expires-at')) > Date.parse(first));
});

test('a refused account says so and shows the server’s error code', async () => {
  const row = await driver.wait(
    until.elementLocated(By.css('tr[data-account="e2e-refused"][data-status="needs_reauth"]')),
    20_000,
  );
  assert.equal(await row.findElement(By.css('.pill')).getText(), 'refused');
  const error = await driver.findElement(By.css('tr.error-row code'));
  assert.equal(await error.getText(), 'invalid_client');
  await app.screenshot('accounts-light');
});

test('the tray: a summary, a "Copy token" per account that copies, Refresh all, Open, Quit', async () => {
  const item = await watcher.waitForItem();
  const find = (node, label) => node.label.startsWith(label) ? node : node.children.map((c) => find(c, label)).find(Boolean);
  // The engine's state reaches the menu within a second or two.
  const { path, root } = await waitFor('the summary in the tray menu', async () => {
    const menu = await watcher.menu(item);
    return menu.root.children[0]?.label.includes('needs you') ? menu : null;
  });
  const labels = root.children.map((c) => c.label).filter(Boolean);
  assert.match(labels[0], /^1 token ok, 1 needs you$/);
  assert.ok(labels.includes('e2e-basic — ok'), labels.join(' | '));
  assert.ok(labels.includes('e2e-refused — refused'), labels.join(' | '));
  for (const entry of ['Refresh all', 'Open Tokentray', 'Quit']) assert.ok(labels.includes(entry), entry);
  const copy = find(find(root, 'e2e-basic —'), 'Copy token');
  await watcher.click(item, path, copy.id);
  const copied = await waitFor('the clipboard', clipboard);
  assert.equal((await introspect(copied)).active, true);
  assert.equal(copied, app.cli('token', 'e2e-basic'));
});

test('an account added through the form goes valid; its token copies; refresh now adds history', async () => {
  await app.newAccount('e2e-form', 'client_credentials');
  // The issuer fills the token endpoint by discovery.
  await app.discover(idp.issuer, 'token_url', `${idp.issuer}/token`);
  await app.set('input[name="client_id"]', 'cc-basic');
  await app.set('input[name="client_secret"]', 'wrong');
  // A wrong secret is caught by "Test connection", with the server's code, before saving.
  await app.click('[data-action="test"]');
  const error = await driver.wait(until.elementLocated(By.css('[data-testid="form-error"] code')), 10_000);
  assert.equal(await error.getText(), 'invalid_client');
  await app.set('input[name="client_secret"]', 'cc-basic-secret');
  await app.set('input[name="scope"]', 'api:read');
  await app.click('[data-action="test"]');
  await driver.wait(until.elementLocated(By.css('[data-testid="test-ok"]')), 10_000);
  await app.screenshot('form-light');
  // Under More settings: the hosts it answers for as a git and a Docker credential helper.
  await app.click('form button.link');
  await app.set('textarea[name="git_hosts"]', 'github.com\ngitlab.example.com/group/*');
  await app.set('textarea[name="registry_hosts"]', 'ghcr.io');
  await app.click('[data-action="save"]');

  // The detail view: the account goes valid.
  await driver.wait(until.elementLocated(By.css('[data-testid="detail"][data-account="e2e-form"] .pill.ok')), 20_000);
  await app.screenshot('detail-light');

  // Copy: the clipboard holds a token the IdP calls active, the same the CLI gets.
  await app.click('[data-testid="detail"] [data-action="copy"]');
  const copied = await waitFor('its token in the clipboard', () => {
    const held = clipboard();
    return held === app.cli('token', 'e2e-form') ? held : '';
  });
  assert.equal((await introspect(copied)).active, true);

  // Refresh now: one more row in the history table.
  const rows = async () => (await driver.findElements(By.css('[data-testid="history"] tr[data-outcome]'))).length;
  const before = await rows();
  await app.click('[data-testid="detail"] [data-action="refresh"]');
  await waitFor('a new history row', async () => (await rows()) > before);
  assert.ok((await driver.findElements(By.css('[data-testid="history-plot"] circle.ok'))).length >= 2);

  // Use with…: the shell's setup copies, and run in bash it sets the live token.
  await app.click('[data-testid="use-with"] summary');
  const shell = '[data-testid="use-with"] [data-tool="shell"]';
  assert.equal(await driver.findElement(By.css(`${shell} pre`)).getText(), 'eval "$(tokentray env e2e-form)"');
  assert.match(await driver.findElement(By.css('[data-testid="use-with"] [data-tool="kubectl"] pre')).getText(), /args: \[kubectl-credential, "e2e-form"\]/);
  const git = await driver.findElement(By.css('[data-testid="use-with"] [data-tool="git"] pre')).getText();
  assert.match(git, /credential\.https:\/\/github\.com\.helper '!tokentray git-credential'/);
  assert.match(git, /credential\.https:\/\/gitlab\.example\.com\.useHttpPath true/);
  assert.match(await driver.findElement(By.css('[data-testid="use-with"] [data-tool="docker"] pre')).getText(), /"ghcr\.io": "tokentray"/);
  assert.match(app.cli('export'), /git_hosts = \["github\.com", "gitlab\.example\.com\/group\/\*"\]/);
  await driver.executeScript("document.querySelector('[data-testid=\"use-with\"]').scrollIntoView()");
  await app.screenshot('detail-use-with');
  await app.click(`${shell} [data-action="copy-snippet"]`);
  const setup = await waitFor('the setup in the clipboard', () => (clipboard().startsWith('eval') ? clipboard() : ''));
  const home = app.home;
  const bin = mkdtempSync(join(tmpdir(), 'tokentray-bin-'));
  execFileSync('ln', ['-s', cli, join(bin, 'tokentray')]);
  const token = execFileSync('bash', ['-c', `${setup}; printf %s "$TOKENTRAY_E2E_FORM"`], {
    env: { ...process.env, TOKENTRAY_HOME: home, PATH: `${bin}:${process.env.PATH}` },
    timeout: 60_000,
  }).toString();
  assert.equal(token, app.cli('token', 'e2e-form'));
});

test('a private_key_jwt account added in the window: its generated public key, copied from the window and registered at the IdP, makes it valid', async () => {
  await app.newAccount('e2e-signed', 'client_credentials');
  await app.discover(idp.issuer, 'token_url', `${idp.issuer}/token`);
  await app.set('input[name="client_id"]', 'pkjwt-e2e');
  await app.click('form button.link'); // More settings
  await app.set('select[name="auth_method"]', 'private_key_jwt');
  // No secret and no key: Tokentray generates the key when the account is saved.
  await app.click('[data-action="save"]');
  const detail = '[data-testid="detail"][data-account="e2e-signed"]';
  await driver.wait(until.elementLocated(By.css(`${detail} [data-testid="public-key"]`)), 20_000);
  const shown = JSON.parse(await driver.findElement(By.css('[data-testid="public-jwk"]')).getText());
  assert.equal(shown.kty, 'EC');
  assert.equal(shown.d, undefined, 'never the private half');
  await app.click(`${detail} [data-action="copy-jwks"]`);
  const jwks = JSON.parse(await waitFor('the JWK Set in the clipboard', () => (clipboard().startsWith('{"keys"') ? clipboard() : '')));
  assert.deepEqual(jwks.keys[0], shown);
  await app.screenshot('detail-public-key');
  const registered = await fetch(`${idp.issuer}/reg`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_id: 'pkjwt-e2e',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks,
      scope: 'api:read',
    }),
  });
  assert.equal(registered.status, 201, await registered.text());
  await app.click(`${detail} [data-action="refresh"]`);
  await driver.wait(until.elementLocated(By.css(`${detail} .pill.ok`)), 20_000);
  const token = app.cli('token', 'e2e-signed');
  const seen = await introspect(token);
  assert.equal(seen.active, true);
  assert.equal(seen.client_id, 'pkjwt-e2e');
});

test('a custom account whose service token runs out soon: the window says what runs out, and the notification names it', async () => {
  // The guide's two-level setup against the project's own API server: a service token (a JWT
  // three days from its end) exchanged for 15-minute access tokens.
  const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const exp = Math.floor(Date.now() / 1000) + 3 * 86_400;
  const serviceToken = `${part({ alg: 'none' })}.${part({ sub: 'bot', exp })}.sig`;
  const api = spawn('node', [join(root, 'tests/servers/custom-api.mjs')], { env: { ...process.env, CUSTOM_SERVICE_TOKEN: serviceToken } });
  try {
    const { url } = JSON.parse(await new Promise((ok) => api.stdout.once('data', (d) => ok(String(d)))));
    await app.newAccount('e2e-bot', 'custom');
    await app.set('input[name="secret"]', serviceToken);
    await app.set('input[name="request.url"]', `${url}/auth/service-token/refresh`);
    await app.click('[data-action="save"]');
    // Access tokens flow, and the account reads expiring with its secret's end beside them.
    const detail = '[data-testid="detail"][data-account="e2e-bot"]';
    await driver.wait(until.elementLocated(By.css(`${detail} .pill.expiring`)), 20_000);
    const runsOut = await driver.findElement(By.css(`${detail} [data-testid="detail-credential"]`)).getText();
    // Three days from its minting, give or take the second the server rounds its `exp` to.
    assert.match(runsOut, /^secret: in (2d 23h|3d 0h)/);
    assert.match(app.cli('status', 'e2e-bot'), /runs out: +secret in (2d 23h|3d 0h)/);
    await waitFor('the service token notification', () => /e2e-bot's secret expires in (2d 23h|3d 0h)/.test(notifications));
    await app.screenshot('service-token-expiring');
    assert.ok(!notifications.includes(serviceToken), 'the service token is in a notification');
  } finally {
    api.kill();
  }
});

test('a static token that expires within the warning threshold raises a desktop notification', async () => {
  await app.newAccount('e2e-pat', 'static');
  await app.set('input[name="token"]', 'pat-secret-e2e');
  // Two hours from now, as the form's local date-time field takes it.
  const at = new Date(Date.now() + 2 * 3600_000);
  const local = new Date(at.getTime() - at.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  await app.set('input[name="expires_at"]', local);
  await app.click('[data-action="save"]');
  await waitFor('the expiry notification', () => notifications.includes('e2e-pat expires soon'));
  await app.screenshot('notification', { screen: true });
  const said = notifications.slice(notifications.indexOf('e2e-pat expires soon'));
  assert.match(said, /expires in [12]h \d\dm/);
  assert.ok(!notifications.includes('pat-secret-e2e'), 'the token is in a notification');
  // And the refused account's notification was sent once, saying what to do.
  assert.equal(notifications.split('e2e-refused needs you').length - 1, 1);
});

test('a device-code login from the form: the code and a QR code, approved elsewhere, then valid', async () => {
  await app.newAccount('e2e-device', 'device_code');
  await app.discover(idp.issuer, 'device_authorization_url', `${idp.issuer}/device/auth`);
  await app.set('input[name="client_id"]', 'app-native');
  await app.set('input[name="scope"]', 'openid offline_access api:read');
  await app.click('[data-action="save"]');
  const code = await driver.wait(until.elementLocated(By.css('[data-testid="user-code"]')), 15_000);
  const userCode = await code.getText();
  assert.ok((await driver.findElements(By.css('[data-testid="login-dialog"] .qr svg'))).length === 1, 'a QR code');
  await app.screenshot('device-login');
  // The person, on another device: the verification page, the code, the consent.
  const person = new Browser();
  const page = await person.follow(`${idp.issuer}/device`);
  const confirm = await person.submit(page, { user_code: userCode });
  const done = await person.submit(confirm);
  assert.match(done.body, /Sign-in Success/i);
  // The dialog closes by itself and the account holds a token the IdP calls active.
  await waitFor('the dialog to close', async () => (await driver.findElements(By.css('[data-testid="login-dialog"]'))).length === 0);
  await driver.wait(until.elementLocated(By.css('[data-testid="detail"][data-account="e2e-device"] .pill.ok')), 15_000);
  assert.equal((await introspect(app.cli('token', 'e2e-device'))).active, true);
});

test('an auth-code login from the form opens the system browser, and the account goes valid', async () => {
  await app.newAccount('e2e-browser', 'authorization_code');
  await app.discover(idp.issuer, 'authorization_url', `${idp.issuer}/auth`);
  await app.set('input[name="client_id"]', 'app-native');
  await app.set('input[name="scope"]', 'openid offline_access api:read');
  await app.click('[data-action="save"]');
  await driver.wait(until.elementLocated(By.css('[data-testid="detail"][data-account="e2e-browser"] .pill.ok')), 20_000);
  assert.equal((await driver.findElements(By.css('[data-testid="login-dialog"]'))).length, 0);
  assert.equal((await introspect(app.cli('token', 'e2e-browser'))).active, true);
});

test("when no browser opened, the login dialog's link opens the login in the system browser", async () => {
  writeFileSync(browserSkip, '');
  await app.newAccount('e2e-link', 'authorization_code');
  await app.discover(idp.issuer, 'authorization_url', `${idp.issuer}/auth`);
  await app.set('input[name="client_id"]', 'app-native');
  await app.set('input[name="scope"]', 'openid offline_access api:read');
  await app.click('[data-action="save"]');
  await driver.wait(until.elementLocated(By.css('[data-testid="login-link"]')), 15_000);
  await waitFor('the first opening to have been skipped', () => !existsSync(browserSkip));
  await app.click('[data-testid="login-link"]');
  await driver.wait(until.elementLocated(By.css('[data-testid="detail"][data-account="e2e-link"] .pill.ok')), 20_000);
  assert.equal((await introspect(app.cli('token', 'e2e-link'))).active, true);
});

test('launching Tokentray again leaves the running one in charge (single instance)', async () => {
  const second = spawn(join(root, 'target', 'debug', 'tokentray-desktop'), [], {
    env: { ...process.env, TOKENTRAY_HOME: app.home },
    stdio: 'ignore',
  });
  const code = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve('still running'), 10_000);
    second.once('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  if (code === 'still running') second.kill();
  assert.equal(code, 0, 'the second launch should hand over and exit');
  // The first one still serves its window and its socket.
  assert.ok((await driver.findElements(By.css('header h1'))).length === 1);
  assert.ok(app.cli('token', 'e2e-basic').length > 10);
});

test('removing an account asks first, then it is gone', async () => {
  await app.click('[data-view="list"]');
  await app.click('tr[data-account="e2e-pat"] [data-action="remove"]');
  await driver.wait(until.elementLocated(By.css('[data-testid="confirm-remove"]')), 5_000);
  await app.click('[data-action="confirm-remove"]');
  await waitFor('the row to go', async () => (await driver.findElements(By.css('tr[data-account="e2e-pat"]'))).length === 0);
});

test('no secret in the UI, the database, the trace log, or a hook’s argv and environment', async () => {
  // The tokens the app holds, asked of its own socket by the CLI, a few refreshes apart.
  const tokens = new Set();
  for (let i = 0; i < 3; i++) {
    tokens.add(app.cli('token', 'e2e-basic'));
    await new Promise((r) => setTimeout(r, 4_500));
  }
  assert.ok(tokens.size >= 2, 'the app refreshed meanwhile');
  const secrets = [...tokens, 'cc-basic-secret', 'not-the-secret', 'pat-secret-e2e'];

  // What the UI holds: its DOM and every storage the page can reach.
  const ui = await driver.executeScript(`return JSON.stringify({
    html: document.documentElement.outerHTML,
    local: { ...localStorage }, session: { ...sessionStorage }, title: document.title,
  })`);
  const places = {
    'the UI (DOM and storage)': ui,
    'the database and its WAL': ['tokentray.db', 'tokentray.db-wal']
      .filter((f) => existsSync(join(app.home, f)))
      .map((f) => readFileSync(join(app.home, f)).toString('latin1'))
      .join(''),
    'the trace-level log': readFileSync(app.log, 'utf8'),
    'the hook’s argv and environment': readFileSync(join(app.home, 'hook.out'), 'utf8'),
    'the desktop notifications': notifications,
  };
  // Each place holds what it should (so a search in it means something)...
  for (const [place, expected] of [
    ['the UI (DOM and storage)', 'e2e-basic'],
    ['the database and its WAL', 'e2e-basic'],
    ['the trace-level log', 'token refreshed'],
    ['the hook’s argv and environment', 'TOKENTRAY_ACCOUNT=e2e-basic'],
    ['the desktop notifications', 'e2e-refused'],
  ]) {
    assert.ok(places[place].includes(expected), `${place} should mention ${expected}`);
  }
  // ...and no secret.
  for (const [place, text] of Object.entries(places)) {
    for (const secret of secrets) {
      assert.ok(!text.includes(secret), `a secret (${secret.slice(0, 4)}…) is in ${place}`);
    }
  }
});
