// Closing the window keeps the app in the tray; once the window has been hidden a while its
// webview is destroyed (WebKit's processes give their memory back), and "Open Tokentray" in
// the tray builds it again. A real window manager (openbox) delivers the close request, as a
// desktop would; the app runs without WebDriver, since its webview goes away on purpose.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, cli, waitFor } from './session.mjs';
import { startWatcher } from './sni-watcher.mjs';

let wm;
let app;
let watcher;
let home;

const children = (pid) =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map((d) => readFileSync(`/proc/${d}/comm`, 'utf8').trim());
const webProcess = () => children(app.pid).includes('WebKitWebProces');
const windows = () => execFileSync('wmctrl', ['-l']).toString();

before(async () => {
  wm = spawn('openbox', [], { stdio: 'ignore' });
  watcher = await startWatcher();
  home = mkdtempSync(join(tmpdir(), 'tokentray-window-'));
  const far = new Date(Date.now() + 30 * 86_400_000).toISOString();
  writeFileSync(join(home, 'profile.toml'), `[[account]]\nname = "pat"\ngrant = "static"\ntoken = "window-test-token"\nexpires_at = "${far}"\n`);
  app = spawn(join(root, 'target', 'debug', 'tokentray-desktop'), [], {
    env: { ...process.env, TOKENTRAY_HOME: home, TOKENTRAY_WEBVIEW_IDLE_SECS: '2' },
    stdio: 'ignore',
  });
});

after(() => {
  app?.kill();
  watcher?.stop();
  wm?.kill();
});

test('a closed window gives its webview back after a while, and the tray opens it again', async () => {
  await waitFor('the window and its web process', () => webProcess() && windows().includes('Tokentray'));
  // Close it as a person would (the window manager asks it to close).
  execFileSync('wmctrl', ['-c', 'Tokentray']);
  await waitFor('the window to go', () => !windows().includes('Tokentray'));
  await waitFor('the web process to end', () => !webProcess(), 10_000);
  // The app lives on in the tray and still serves scripts.
  const token = execFileSync(cli, ['token', 'pat'], { env: { ...process.env, TOKENTRAY_HOME: home } }).toString().trim();
  assert.equal(token, 'window-test-token');
  // "Open Tokentray" from the tray builds the window again.
  const item = await watcher.waitForItem();
  const { path, root: menu } = await watcher.menu(item);
  const open = menu.children.find((c) => c.label === 'Open Tokentray');
  assert.ok(open, 'an "Open Tokentray" entry');
  await watcher.click(item, path, open.id);
  await waitFor('the window to come back', () => webProcess() && windows().includes('Tokentray'));
});
