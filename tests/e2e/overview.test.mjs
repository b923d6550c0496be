// The overview, the window's first page: every account on one time axis, what breaks soonest
// first. Two pasted tokens that run out in 3 and 40 days, and an account that renews itself
// at the real IdP.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startIdp } from '../idp/start.mjs';
import { startApp, By, until, waitFor, diagnosed } from './session.mjs';

let idp;
let app;
/** A failing test says what the window showed. */
const test = diagnosed(() => app);

before(async () => {
  idp = await startIdp();
  const soon = new Date(Date.now() + 3 * 86_400_000).toISOString();
  const later = new Date(Date.now() + 40 * 86_400_000).toISOString();
  app = await startApp({
    page: 'overview',
    profile: () => `[[account]]
name = "api"
grant = "client_credentials"
token_url = "${idp.issuer}/token"
client_id = "cc-basic"
client_secret = "cc-basic-secret"
scope = "api:read"

[[account]]
name = "pat"
grant = "static"
token = "overview-pat"
expires_at = "${soon}"

[[account]]
name = "bot"
grant = "static"
token = "overview-bot"
expires_at = "${later}"
`,
  });
});

after(async () => {
  await app?.stop();
  idp?.stop();
});

const lanes = () =>
  app.driver.executeScript(
    `return [...document.querySelectorAll('[data-testid="overview"] li[data-account]')].map((li) => ({
      name: li.dataset.account,
      end: Boolean(li.querySelector('.end')),
      warnings: li.querySelectorAll('.warning').length,
      renewal: Boolean(li.querySelector('.renewal')),
      token: Boolean(li.querySelector('.token')),
    }))`,
  );

test('the overview is the first page: what runs out soonest first, its warnings, the renewals', async () => {
  const { driver } = app;
  await driver.wait(until.elementLocated(By.css('[data-testid="overview"] li[data-account="api"][data-status="ok"]')), 20_000);
  // A week: the static token's end and its 1 d and 1 h warnings (7 d is already past).
  let seen = await waitFor('the lanes', async () => {
    const l = await lanes();
    return l.find((x) => x.name === 'api')?.renewal ? l : null;
  });
  assert.deepEqual(seen.map((l) => l.name), ['pat', 'bot', 'api'], 'what breaks soonest first');
  assert.deepEqual(seen[0], { name: 'pat', end: true, warnings: 2, renewal: false, token: true });
  assert.equal(seen[1].end, false, 'the service token ends past the week');
  assert.equal(seen[2].renewal && seen[2].token, true, 'the renewing account shows its token and next renewal');
  const breaking = async () => driver.findElement(By.css('[data-testid="breaking"]')).getAttribute('textContent');
  assert.match(await breaking(), /^1 runs out in this span$/);
  await app.screenshot('overview');

  // 90 days: both ends, the service token's with its three warnings.
  await app.click('[data-range="quarter"]');
  seen = await lanes();
  assert.deepEqual(seen.slice(0, 2).map((l) => [l.name, l.end, l.warnings]), [['pat', true, 2], ['bot', true, 3]]);
  assert.match(await breaking(), /^2 run out in this span$/);
  // An hour: nothing runs out; the renewal is there.
  await app.click('[data-range="hour"]');
  assert.match(await breaking(), /^nothing runs out in this span$/);
  await waitFor('the renewal within the hour', async () => (await lanes()).find((l) => l.name === 'api').renewal);

  // A click opens the account.
  await app.click('[data-testid="overview"] li[data-account="pat"] .lane-name');
  await driver.wait(until.elementLocated(By.css('[data-testid="detail"][data-account="pat"]')), 10_000);
});
