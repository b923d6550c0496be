// The window, the tray menu and notifications in the person's language: the system locale
// picks it (LANG), the setting overrides it at once. The tray is read over D-Bus as a panel
// reads it; notifications as dbus-monitor sees them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startApp, By, until, waitFor } from './session.mjs';
import { startWatcher } from './sni-watcher.mjs';

let watcher;
let monitor;
let notifications = '';

before(async () => {
  watcher = await startWatcher();
  monitor = spawn('dbus-monitor', ['--session', "interface='org.freedesktop.Notifications',member='Notify'"]);
  monitor.stdout.on('data', (d) => (notifications += d));
});

after(() => {
  watcher?.stop();
  monitor?.kill();
});

/** Three pasted tokens: two far from their end, one a day from it (warned). */
const profile = () => {
  const at = (days) => new Date(Date.now() + days * 86_400_000).toISOString();
  return ['alpha', 'beta', 'gamma']
    .map((name, i) => `[[account]]\nname = "${name}"\ngrant = "static"\ntoken = "token-${name}"\nexpires_at = "${at(i === 2 ? 0.9 : 30 + i)}"\n`)
    .join('\n');
};

const header = (app) => app.driver.findElement(By.css('table thead')).getAttribute('textContent');
const summary = (app) => app.driver.findElement(By.css('[data-testid="summary"]')).getAttribute('textContent');

async function trayMenu() {
  const item = await watcher.waitForItem();
  return waitFor('the tray menu with its accounts', async () => {
    const { root } = await watcher.menu(item);
    // The first line is the summary once the engine's state has reached the tray.
    return root.children.length > 5 && root.children[0].label !== 'Tokentray' ? root.children.map((c) => c.label) : null;
  });
}

test('Russian from the system locale: the window with its plural forms, the tray menu over D-Bus, a notification', async () => {
  const app = await startApp({ profile, env: { LANG: 'ru_RU.UTF-8', LC_ALL: '' } });
  try {
    await app.driver.wait(until.elementLocated(By.css('tr[data-account="gamma"]')), 20_000);
    assert.match(await header(app), /Учётная запись.*Тип.*Состояние.*Истекает/);
    assert.match(await summary(app), /^3 учётные записи/);
    assert.match(await app.driver.findElement(By.css('tr[data-account="gamma"] td.grant')).getAttribute('textContent'), /^Долгоживущий токен$/);
    await app.screenshot('list-ru');

    const menu = await trayMenu();
    assert.match(menu[0], /^3 токена в порядке, 1 истекает через 21 ч \d\d мин$/, menu[0]);
    assert.ok(menu.includes('Открыть Tokentray') && menu.includes('Выйти') && menu.includes('Обновить все'), menu.join(' | '));
    assert.ok(menu.some((l) => l === 'gamma — скоро истекает'), menu.join(' | '));

    await waitFor('the warning notification', () => notifications.includes('gamma: скоро истечёт'));
    assert.match(notifications, /gamma: токен истекает через 21 ч/);

    await app.click('[data-view="overview"]');
    await app.driver.wait(until.elementLocated(By.css('[data-testid="overview"] li[data-account="gamma"]')), 10_000);
    assert.match(await app.driver.findElement(By.css('[data-testid="breaking"]')).getAttribute('textContent'), /за этот период истекает 1/);
    await app.screenshot('overview-ru');

    // The form: the grant's words, its fields' labels and help, a check's message.
    await app.newAccount('', 'client_credentials');
    await app.click('[data-action="save"]');
    const form = await app.driver.findElement(By.css('[data-testid="account-form"]')).getText();
    for (const words of ['Учётные данные клиента', 'Адрес выдачи токенов', 'ID клиента', 'Обязательное поле.']) {
      assert.ok(form.includes(words), `the form says ${words}`);
    }
    await app.screenshot('form-ru');
  } finally {
    await app.stop();
  }
});

test('Norwegian Bokmål from the system locale; the setting switches the window and the tray to Russian', async () => {
  const app = await startApp({ profile, env: { LANG: 'nb_NO.UTF-8', LC_ALL: '' } });
  try {
    await app.driver.wait(until.elementLocated(By.css('tr[data-account="gamma"]')), 20_000);
    assert.match(await header(app), /Konto.*Type.*Status.*Utløper.*Sist fornyet/);
    assert.match(await summary(app), /^3 kontoer/);
    await app.screenshot('list-nb');
    assert.ok((await trayMenu()).includes('Åpne Tokentray'));

    await app.click('[data-action="settings"]');
    await app.set('select[name="language"]', 'ru');
    await app.click('[data-testid="settings"] button[type="submit"]');
    await app.driver.wait(until.elementLocated(By.css('[data-testid="settings"] .banner.ok')), 10_000);
    assert.equal(await app.driver.findElement(By.css('[data-testid="settings"] h2')).getText(), 'Настройки');
    await waitFor('the tray in Russian', async () => (await trayMenu()).includes('Открыть Tokentray'));
  } finally {
    await app.stop();
  }
});
