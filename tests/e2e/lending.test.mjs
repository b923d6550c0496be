// Who may take a token, as a person at the desktop meets it: a program's first use of an
// account (confirm = true) is asked as a notification with actions, and answered there (an
// action forged by another program on the bus counts for nothing); the account's page says
// who used it; the tray locks, the window unlocks. The notification server is the test's own
// (notifications.mjs), on the session bus before the app starts.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startApp, waitFor, By, until, diagnosed } from './session.mjs';
import { startWatcher } from './sni-watcher.mjs';
import { startNotificationServer, forgeAction } from './notifications.mjs';

let app;
const test = diagnosed(() => app);
let notifications;
let watcher;

before(async () => {
  notifications = await startNotificationServer();
  watcher = await startWatcher();
  app = await startApp({
    profile: () => `[[account]]
name = "asked"
grant = "static"
token = "token-asked-e2e"
confirm = true

[[account]]
name = "plain"
grant = "static"
token = "token-plain-e2e"
`,
  });
});

after(async () => {
  await app?.stop();
  watcher?.stop();
  notifications?.stop();
});

/** `tokentray token NAME` in the background: its exit code and output when it ends. */
function asking(name) {
  const child = spawn(app.cliPath, ['token', name], { env: app.cliEnv });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const done = new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })));
  return { child, done };
}

const askFor = (account) =>
  waitFor('the approval notification', () =>
    notifications.shown.find((n) => !n.closed && n.summary.includes(account) && n.actions.includes('once') && !n.answered),
  );

test('a first use is asked on the desktop, and the notification’s action answers it', async () => {
  const first = asking('asked');
  const shown = await askFor('asked');
  // What is asked names the program (node, which runs this test) and the account.
  assert.match(shown.summary, /node/);
  assert.ok(shown.actions.includes('hours') && shown.actions.includes('deny'), shown.actions.join(','));
  await app.screenshot('approval', { screen: true });
  shown.answered = true;
  notifications.invoke(shown.id, 'once');
  const { code, out } = await first.done;
  assert.equal(code, 0);
  assert.equal(out.trim(), 'token-asked-e2e');
  await waitFor('the notification to be closed', () => shown.closed);

  // Another program's ActionInvoked is no answer; the server's Deny is.
  const second = asking('asked');
  const again = await askFor('asked');
  await forgeAction(again.id, 'once');
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(second.child.exitCode, null, 'a forged action let the program through');
  again.answered = true;
  notifications.invoke(again.id, 'deny');
  const denied = await second.done;
  assert.equal(denied.code, 4);
  assert.match(denied.err, /error\[denied\]/);
  assert.equal(denied.out, '');
});

test('the account’s page says which programs used it', async () => {
  await app.click('[data-view="list"]');
  await app.click('tr[data-account="asked"] td.name button');
  const used = await app.driver.wait(until.elementLocated(By.css('[data-testid="used-by"] tr[data-program="node"]')), 15_000);
  const row = await used.getText();
  assert.match(row, /node/);
  await app.screenshot('used-by');
});

test('the tray locks: nothing is lent; the window unlocks', async () => {
  const item = await watcher.waitForItem();
  const { path, root } = await waitFor('the tray menu', async () => {
    const menu = await watcher.menu(item);
    return menu.root.children.some((c) => c.label === 'Lock') ? menu : null;
  });
  await watcher.click(item, path, root.children.find((c) => c.label === 'Lock').id);
  await waitFor('the lock', async () => (await asking('plain').done).code === 4);
  const refused = await asking('plain').done;
  assert.match(refused.err, /error\[locked\]/);
  assert.equal(refused.out, '');
  // The window says so, and a click there (the person's) unlocks.
  await app.driver.wait(until.elementLocated(By.css('[data-testid="locked"]')), 15_000);
  await app.screenshot('locked');
  await app.click('[data-action="unlock"]');
  await waitFor('the unlock', async () => (await asking('plain').done).code === 0);
  // The tray's menu is redrawn on the engine's event, a moment after the engine unlocked.
  await waitFor('the tray to offer Lock again', async () =>
    (await watcher.menu(item)).root.children.some((c) => c.label === 'Lock'),
  );
});
