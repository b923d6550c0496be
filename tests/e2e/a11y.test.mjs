// Accessibility: axe-core (the WCAG 2.1 A and AA rules) run inside the real window (WebKitGTK,
// through WebDriver) on every view and dialog, in both themes, and on an empty list and a list
// of 1,000 accounts: no serious or critical violation. What it finds is printed as a table.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { startIdp } from '../idp/start.mjs';
import { startApp, By, until } from './session.mjs';

const axe = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const GRANTS = ['client_credentials', 'refresh_token', 'authorization_code', 'device_code', 'password', 'custom', 'static', 'token_exchange', 'command'];

let idp;
/** Every finding: the view, the theme, the rule, its impact and where. */
const findings = [];
/** Every view audited, to show what the table covers. */
const audited = [];

before(async () => {
  idp = await startIdp({ accessTokenTtl: 300, env: { IDP_DEVICE_INTERVAL: '1' } });
});

after(() => {
  const rows = findings.map((f) => `| ${f.theme} | ${f.view} | ${f.impact} | ${f.rule} | ${f.nodes} | \`${f.target}\` |`);
  console.log(`\naxe-core (WCAG 2.1 A/AA) on ${audited.length} views and dialogs: ${findings.length} finding(s)\n`);
  console.log(['| theme | view | impact | rule | nodes | first node |', '|---|---|---|---|---|---|', ...rows].join('\n'));
  console.log(`\nviews: ${audited.join(', ')}`);
  idp?.stop();
});

const accounts = (n) =>
  Array.from(
    { length: n },
    (_, i) => `[[account]]\nname = "static-${String(i).padStart(4, '0')}"\ngrant = "static"\ntoken = "t-${i}"\nexpires_at = "${new Date(Date.now() + (i + 1) * 3_600_000).toISOString()}"\n`,
  ).join('\n');

async function audit(app, theme, view) {
  await new Promise((r) => setTimeout(r, 300)); // let the view settle
  await app.driver.executeScript(axe);
  const violations = await app.driver.executeAsyncScript(`
    const done = arguments[arguments.length - 1];
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
      .then((r) => done(r.violations.map((v) => ({ rule: v.id, impact: v.impact, nodes: v.nodes.length, target: v.nodes[0]?.target?.join(' ') ?? '' }))))
      .catch((e) => done([{ rule: 'axe failed', impact: 'critical', nodes: 0, target: String(e) }]));`);
  audited.push(`${view} (${theme})`);
  for (const v of violations) findings.push({ theme, view, ...v });
}

async function everyView(theme, env) {
  const app = await startApp({
    env,
    profile: () => `[[account]]
name = "api"
grant = "client_credentials"
token_url = "${idp.issuer}/token"
client_id = "cc-basic"
client_secret = "cc-basic-secret"
scope = "api:read"

[[account]]
name = "refused"
grant = "client_credentials"
token_url = "${idp.issuer}/token"
client_id = "cc-basic"
client_secret = "wrong"

[[account]]
name = "tv"
grant = "device_code"
device_authorization_url = "${idp.issuer}/device/auth"
token_url = "${idp.issuer}/token"
client_id = "app-native"
scope = "openid offline_access api:read"
`,
  });
  const { driver } = app;
  try {
    await driver.wait(until.elementLocated(By.css('tr[data-account="api"][data-status="ok"]')), 20_000);
    await audit(app, theme, 'list');
    await app.click('[data-view="overview"]');
    await driver.wait(until.elementLocated(By.css('[data-testid="overview"] li[data-account="api"]')), 10_000);
    await audit(app, theme, 'overview');
    await app.click('[data-view="list"]');
    await app.click('tr[data-account="api"] td.name button');
    await driver.wait(until.elementLocated(By.css('[data-testid="detail"][data-account="api"]')), 10_000);
    await app.click('[data-testid="use-with"] summary');
    await audit(app, theme, 'detail');
    // The plot's text alternative: the table below it, which holds the same data.
    const described = await driver.executeScript(
      "const id = document.querySelector('[data-testid=\"history-plot\"] svg, svg[role=\"img\"]')?.getAttribute('aria-describedby'); return id ? document.getElementById(id)?.tagName : null;",
    );
    assert.equal(described, 'TABLE', 'the plot is described by the history table');
    await app.click('[data-action="remove"]');
    await driver.wait(until.elementLocated(By.css('[data-testid="confirm-remove"]')), 10_000);
    await audit(app, theme, 'remove dialog');
    await app.click('[data-testid="confirm-remove"] [data-action="keep"]');
    for (const grant of GRANTS) {
      await app.newAccount(`a11y-${grant}`, grant);
      await app.click('form button.link'); // More settings: every field
      await audit(app, theme, `form: ${grant}`);
    }
    await app.click('[data-view="list"]');
    await app.click('[data-action="settings"]');
    await driver.wait(until.elementLocated(By.css('[name="clipboard_clear_secs"]')), 10_000);
    await audit(app, theme, 'settings');
    await app.click('[data-view="list"]');
    await app.click('tr[data-account="tv"] td.name button');
    await app.click('[data-action="login"]');
    await driver.wait(until.elementLocated(By.css('[data-testid="user-code"]')), 15_000);
    await audit(app, theme, 'login dialog');
  } finally {
    await app.stop();
  }
}

test('every view and dialog, light theme', async () => {
  await everyView('light', {});
});

test('every view and dialog, dark theme', async () => {
  await everyView('dark', { GTK_THEME: 'Adwaita:dark' });
});

test('an empty list and a list of 1,000 accounts', async () => {
  for (const [view, profile] of [['list: empty', ''], ['list: 1,000 accounts', accounts(1000)]]) {
    const app = await startApp({ profile: () => profile });
    try {
      await app.driver.wait(until.elementLocated(By.css(profile ? 'tr[data-account]' : '[data-testid="empty"]')), 30_000);
      await audit(app, 'light', view);
      if (profile) {
        await app.click('[data-view="overview"]');
        await app.driver.wait(until.elementLocated(By.css('[data-testid="overview"] li[data-account]')), 30_000);
        await audit(app, 'light', 'overview: 1,000 accounts');
      }
    } finally {
      await app.stop();
    }
  }
});

test('no serious or critical violation anywhere', () => {
  const bad = findings.filter((f) => f.impact === 'serious' || f.impact === 'critical');
  assert.deepEqual(bad, [], `${bad.length} serious or critical violation(s); see the table`);
});
