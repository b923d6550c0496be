// The app without a pointer: keys only (WebDriver key actions to whatever has the focus), as a
// person who uses the keyboard or a screen reader works. Add an account, test the connection,
// save, find it, copy its token, refresh, open its page, remove it. After every step the focus
// is on something, and visibly so (`:focus-visible`), never lost to the page's body; a dialog
// takes the focus and gives it back; what happens is said in a live region.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Key } from 'selenium-webdriver';
import { startIdp } from '../idp/start.mjs';
import { startApp, waitFor, clipboard, By, until, diagnosed } from './session.mjs';

let idp;
let app;
/** A failing test says what the window showed. */
const test = diagnosed(() => app);
let driver;

before(async () => {
  idp = await startIdp({ accessTokenTtl: 300 });
  app = await startApp();
  driver = app.driver;
});

after(async () => {
  await app?.stop();
  idp?.stop();
});

/** What has the focus: its tag, name, action and text, and whether the focus ring shows. */
const focused = () =>
  driver.executeScript(`const e = document.activeElement;
    return { tag: e.tagName.toLowerCase(), name: e.getAttribute('name'), action: e.dataset.action ?? null,
             text: (e.textContent ?? '').trim().slice(0, 40), visible: e !== document.body && e.matches(':focus-visible') };`);

const press = async (...keys) => {
  await driver.actions().sendKeys(...keys).perform();
  await new Promise((r) => setTimeout(r, 80));
};

/** Tabs forward until `matches(focused)` (at most 40 stops). */
async function tabTo(what, matches) {
  for (let i = 0; i < 40; i += 1) {
    const f = await focused();
    if (matches(f)) {
      assert.ok(f.visible, `the focus on ${what} shows`);
      return f;
    }
    await press(Key.TAB);
  }
  assert.fail(`Tab never reached ${what}; the focus is on ${JSON.stringify(await focused())}`);
}

const live = () => driver.executeScript(`return [...document.querySelectorAll('[role="status"], [aria-live]')].map((e) => e.textContent.trim()).join(' | ');`);

test('add, test, save, find, copy, refresh, open and remove an account with the keyboard alone', async () => {
  await driver.wait(until.elementLocated(By.css('[data-testid="empty"]')), 20_000);
  // `n` opens the form with the focus in its first field.
  await press('n');
  assert.equal((await focused()).name, 'name');
  await press('kb-account');
  await tabTo('the token endpoint', (f) => f.name === 'token_url');
  await press(`${idp.issuer}/token`);
  await tabTo('the client ID', (f) => f.name === 'client_id');
  await press('cc-basic');
  await tabTo('the client secret', (f) => f.name === 'client_secret');
  await press('cc-basic-secret');
  await tabTo('Test connection', (f) => f.action === 'test');
  await press(Key.ENTER);
  await driver.wait(until.elementLocated(By.css('[data-testid="test-ok"]')), 10_000);
  await tabTo('Save', (f) => f.action === 'save');
  await press(Key.ENTER);
  await driver.wait(until.elementLocated(By.css('[data-testid="detail"][data-account="kb-account"] .pill.ok')), 20_000);
  await waitFor('the save said out loud', async () => (await live()).includes('kb-account saved'));

  // Back to the list, find it by searching, copy its token and refresh it from its row.
  await press(Key.ESCAPE);
  await driver.wait(until.elementLocated(By.css('tr[data-account="kb-account"]')), 10_000);
  await press('/');
  assert.equal((await focused()).action, null);
  await press('kb-acc');
  await tabTo('its Copy button', (f) => f.action === 'copy');
  await press(Key.ENTER);
  const token = await waitFor('its token in the clipboard', () => {
    const held = clipboard();
    return held && held === app.cli('token', 'kb-account') ? held : '';
  });
  assert.ok(token);
  await waitFor('the copy said out loud', async () => (await live()).includes('token copied'));
  await tabTo('its Refresh button', (f) => f.action === 'refresh');
  await press(Key.ENTER);
  await waitFor('a second history entry', async () => JSON.parse(app.cli('history', 'kb-account', '--json')).length >= 2);

  // Its page, then Remove: the dialog takes the focus (Keep, the safe choice) and Escape gives
  // it back to Remove; then removing it for real leaves the focus on the search box.
  await press(Key.chord(Key.SHIFT, Key.TAB), Key.chord(Key.SHIFT, Key.TAB));
  await tabTo('its name', (f) => f.text === 'kb-account' && f.tag === 'button');
  await press(Key.ENTER);
  await driver.wait(until.elementLocated(By.css('[data-testid="detail"][data-account="kb-account"]')), 10_000);
  await tabTo('Remove', (f) => f.action === 'remove');
  await press(Key.ENTER);
  await driver.wait(until.elementLocated(By.css('[data-testid="confirm-remove"]')), 10_000);
  assert.equal((await focused()).action, 'keep', 'the dialog has the focus, on Keep');
  await press(Key.ESCAPE);
  await waitFor('the focus back on Remove', async () => (await focused()).action === 'remove');
  assert.ok((await focused()).visible);
  await press(Key.ENTER);
  await driver.wait(until.elementLocated(By.css('[data-testid="confirm-remove"]')), 10_000);
  await tabTo('the Remove button of the dialog', (f) => f.action === 'confirm-remove');
  await press(Key.ENTER);
  await driver.wait(until.elementLocated(By.css('[data-testid="empty"]')), 10_000);
  await waitFor('the removal said out loud', async () => (await live()).includes('kb-account removed'));
  await waitFor('the focus somewhere, not lost', async () => (await focused()).tag !== 'body');
  assert.throws(() => app.cli('token', 'kb-account'), /no account named/);
});
