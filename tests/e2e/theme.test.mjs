// The window in the dark theme (it follows the system: GTK_THEME here) with a few accounts,
// one of them failing: screenshots of the main views for the README and for a person to look at.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startIdp } from '../idp/start.mjs';
import { startApp, clipboard, By, until, diagnosed } from './session.mjs';

let idp;
let app;
/** A failing test says what the window showed. */
const test = diagnosed(() => app);

before(async () => {
  idp = await startIdp({ accessTokenTtl: 20 });
  const inTwoDays = new Date(Date.now() + 2 * 86_400_000 + 3_600_000).toISOString();
  app = await startApp({
    env: { GTK_THEME: 'Adwaita:dark' },
    profile: () => `[[account]]
name = "billing-api"
grant = "client_credentials"
token_url = "${idp.issuer}/token"
client_id = "cc-basic"
client_secret = "cc-basic-secret"
scope = "api:read"

[[account]]
name = "reports-jwt"
grant = "client_credentials"
token_url = "${idp.issuer}/token"
client_id = "cc-jwt"
client_secret = "cc-jwt-secret"

[[account]]
name = "github-pat"
grant = "static"
token = "ghp_theme_test"
expires_at = "${inTwoDays}"

[[account]]
name = "legacy-crm"
grant = "client_credentials"
token_url = "${idp.issuer}/token"
client_id = "cc-basic"
client_secret = "rotated-last-week"
`,
  });
});

after(async () => {
  await app?.stop();
  idp?.stop();
});

test('dark theme: the list, a JWT account’s detail with its claims, and the settings', async () => {
  const { driver } = app;
  await driver.wait(until.elementLocated(By.css('tr[data-account="reports-jwt"][data-status="ok"]')), 20_000);
  await driver.wait(until.elementLocated(By.css('tr[data-account="legacy-crm"][data-status="needs_reauth"]')), 20_000);
  const background = await driver.executeScript('return getComputedStyle(document.documentElement).backgroundColor');
  assert.equal(background, 'rgb(21, 24, 30)', 'the dark palette applies');
  await app.screenshot('accounts-dark');
  await app.click('tr[data-account="reports-jwt"] button.link');
  const claims = await driver.wait(until.elementLocated(By.css('[data-testid="claims"]')), 10_000);
  assert.match(await claims.getText(), /"aud": "urn:tokentray:test-api"/);
  await app.click('[data-testid="detail"] [data-action="refresh"]');
  await driver.wait(async () => (await driver.findElements(By.css('[data-testid="history"] tr[data-outcome]'))).length >= 2, 10_000);
  await app.screenshot('detail-dark');
  await app.click('[data-action="settings"]');
  await driver.wait(until.elementLocated(By.css('[data-testid="settings"] input[name="clipboard_clear_secs"]')), 10_000);
  await app.screenshot('settings-dark');
});

test('start at login: the setting writes an XDG autostart entry that starts the app hidden', async () => {
  const { driver } = app;
  const entry = join(process.env.HOME, '.config', 'autostart', 'Tokentray.desktop');
  const box = await driver.findElement(By.css('input[name="autostart"]'));
  if (!(await box.isSelected())) await box.click();
  await app.click('[data-testid="settings"] button[type="submit"]');
  await driver.wait(until.elementLocated(By.css('[data-testid="settings"] .banner.ok')), 10_000);
  assert.ok(existsSync(entry), `${entry} was not written`);
  assert.match(readFileSync(entry, 'utf8'), /^Exec=.*tokentray-desktop.* --hidden/m);
  await box.click();
  await app.click('[data-testid="settings"] button[type="submit"]');
  await driver.wait(async () => !existsSync(entry), 10_000);
});

test('a copied token is cleared after the delay, unless the clipboard holds something else by then', async () => {
  const { driver } = app;
  await app.click('[data-action="settings"]');
  await app.set('input[name="clipboard_clear_secs"]', '2');
  await app.click('[data-testid="settings"] button[type="submit"]');
  await driver.wait(until.elementLocated(By.css('[data-testid="settings"] .banner.ok')), 10_000);
  await app.click('[data-view="list"]');

  await app.click('tr[data-account="billing-api"] [data-action="copy"]');
  const token = app.cli('token', 'billing-api');
  await driver.wait(async () => clipboard() === token, 5_000);
  await driver.wait(async () => clipboard() === '', 6_000, 'the token stayed in the clipboard');

  // Copied again, then the person copies something else: that is left alone.
  await app.click('tr[data-account="billing-api"] [data-action="copy"]');
  await driver.wait(async () => clipboard() === token, 5_000);
  // xclip stays behind to serve the selection: it must not hold our pipes open.
  execFileSync('sh', ['-c', 'printf %s "a note of mine" | xclip -selection clipboard >/dev/null 2>&1'], { stdio: 'ignore', timeout: 10_000 });
  await new Promise((r) => setTimeout(r, 3_500));
  assert.equal(clipboard(), 'a note of mine');
});
