// The real desktop app, driven through WebDriver (tauri-driver + WebKitWebDriver), against the
// real test IdP. Needs a display and a session bus: tests/run-all.sh provides both (Xvfb and
// dbus-run-session). The app binary is the debug build with the bundled UI:
// `tauri build --debug --no-bundle` → target/debug/tokentray-desktop.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, existsSync, readFileSync, openSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { Builder, By, until } from 'selenium-webdriver';
import { startIdp } from '../idp/start.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const app = join(root, 'target', 'debug', 'tokentray-desktop');
const artifacts = join(root, 'artifacts', 'e2e');

let idp;
let driverProcess;
let driver;
let home;
let appLog;

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function waitForHttp(url, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`nothing answered at ${url} within ${ms} ms`);
}

before(async () => {
  assert.ok(existsSync(app), `build the app first: ${app} is missing`);
  assert.ok(process.env.DISPLAY, 'a display is needed (run under xvfb-run)');
  // 8 s tokens are due after ~4 s, so the test sees a refresh within seconds.
  idp = await startIdp({ accessTokenTtl: 8 });
  home = mkdtempSync(join(tmpdir(), 'tokentray-e2e-'));
  writeFileSync(join(home, 'hook.sh'), `{ tr '\\0' ' ' < /proc/$$/cmdline; echo; env; } >> ${join(home, 'hook.out')}\n`);
  writeFileSync(
    join(home, 'profile.toml'),
    `[[account]]
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
`,
  );
  const port = await freePort();
  const nativePort = await freePort();
  // The app logs at trace level into a file the secrets test reads.
  appLog = join(home, '..', `${home.split('/').pop()}.log`);
  const log = openSync(appLog, 'w');
  driverProcess = spawn('tauri-driver', ['--port', String(port), '--native-port', String(nativePort)], {
    env: { ...process.env, TOKENTRAY_HOME: home, TOKENTRAY_LOG: 'trace' },
    stdio: ['ignore', log, log],
  });
  await waitForHttp(`http://127.0.0.1:${port}/status`, 10_000);
  driver = await new Builder()
    .usingServer(`http://127.0.0.1:${port}/`)
    .withCapabilities({ browserName: 'wry', 'tauri:options': { application: app } })
    .build();
});

after(async () => {
  await driver?.quit().catch(() => {});
  driverProcess?.kill();
  idp?.stop();
});

async function screenshot(name) {
  mkdirSync(artifacts, { recursive: true });
  writeFileSync(join(artifacts, `${name}.png`), await driver.takeScreenshot(), 'base64');
}

test('the window lists the account with a live expiry, and refreshes it', async () => {
  const row = await driver.wait(until.elementLocated(By.css('tr[data-account="e2e-basic"][data-status="ok"]')), 20_000);
  assert.match(await row.findElement(By.css('td.grant')).getText(), /client credentials/);
  const expires = row.findElement(By.css('td.expires'));
  assert.match(await expires.getText(), /^in \d+s$/);
  const first = await row.getAttribute('data-expires-at');
  assert.ok(Date.parse(first) > Date.now(), `expires_at ${first} should be in the future`);
  await screenshot('accounts');
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
  await screenshot('refused');
});

test('no secret in the UI, the database, the trace log, or a hook’s argv and environment', async () => {
  // The tokens the app holds, asked of its own socket by the CLI, a few refreshes apart.
  const cli = join(root, 'target', 'debug', 'tokentray');
  const tokens = new Set();
  for (let i = 0; i < 3; i++) {
    tokens.add(execFileSync(cli, ['token', 'e2e-basic'], { env: { ...process.env, TOKENTRAY_HOME: home } }).toString().trim());
    await new Promise((r) => setTimeout(r, 4_500));
  }
  assert.ok(tokens.size >= 2, 'the app refreshed meanwhile');
  const secrets = [...tokens, 'cc-basic-secret', 'not-the-secret'];

  // What the UI holds: its DOM and every storage the page can reach.
  const ui = await driver.executeScript(`return JSON.stringify({
    html: document.documentElement.outerHTML,
    local: { ...localStorage }, session: { ...sessionStorage }, title: document.title,
  })`);
  const places = {
    'the UI (DOM and storage)': ui,
    'the database and its WAL': ['tokentray.db', 'tokentray.db-wal']
      .filter((f) => existsSync(join(home, f)))
      .map((f) => readFileSync(join(home, f)).toString('latin1'))
      .join(''),
    'the trace-level log': readFileSync(appLog, 'utf8'),
    'the hook’s argv and environment': readFileSync(join(home, 'hook.out'), 'utf8'),
  };
  // Each place holds what it should (so a search in it means something)...
  for (const [place, expected] of [
    ['the UI (DOM and storage)', 'e2e-basic'],
    ['the database and its WAL', 'e2e-basic'],
    ['the trace-level log', 'token refreshed'],
    ['the hook’s argv and environment', 'TOKENTRAY_ACCOUNT=e2e-basic'],
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
