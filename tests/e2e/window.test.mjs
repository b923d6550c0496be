// The window is a process of its own: closing it keeps the app in the tray; once the window
// has been hidden a while its process exits (WebKit's processes with it), and "Open Tokentray"
// in the tray starts it again, while the resident process never loads a webview. A real
// window manager (openbox) delivers the close request, as a desktop would; the app runs
// without WebDriver, since its window goes away on purpose.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, cli, waitFor, diagnosed } from './session.mjs';
import { startWatcher } from './sni-watcher.mjs';

let wm;
let app;
/** A failing test says what the window showed. */
const test = diagnosed(() => app);
let watcher;
let home;

/** The process's descendants as [pid, parent, command name, argv]. */
function descendants(pid) {
  const all = [];
  for (const d of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      all.push([Number(d), parent, readFileSync(`/proc/${d}/comm`, 'utf8').trim(), argv]);
    } catch {}
  }
  const tree = [];
  const walk = (p) => all.filter(([, parent]) => parent === p).forEach((c) => (tree.push(c), walk(c[0])));
  walk(pid);
  return tree;
}
const webProcess = () => descendants(app.pid).some(([, , comm]) => comm === 'WebKitWebProces');
/** WebKit processes the resident process started itself (it must start none). */
const residentWebKit = () => descendants(app.pid).filter(([, parent, comm]) => parent === app.pid && comm.startsWith('WebKit'));
const windowProcesses = () => descendants(app.pid).filter(([, parent, , argv]) => parent === app.pid && argv.includes('--window'));
const windows = () => execFileSync('wmctrl', ['-l'], { timeout: 10_000 }).toString();

before(async () => {
  wm = spawn('openbox', [], { stdio: 'ignore' });
  watcher = await startWatcher();
  home = mkdtempSync(join(tmpdir(), 'tokentray-window-'));
  const far = new Date(Date.now() + 30 * 86_400_000).toISOString();
  writeFileSync(join(home, 'profile.toml'), `[[account]]\nname = "pat"\ngrant = "static"\ntoken = "window-test-token"\nexpires_at = "${far}"\n`);
  app = spawn(join(root, 'target', 'debug', 'tokentray-desktop'), [], {
    env: { ...process.env, TOKENTRAY_HOME: home, TOKENTRAY_WINDOW_IDLE_SECS: '2' },
    stdio: 'ignore',
  });
});

after(() => {
  app?.kill();
  watcher?.stop();
  wm?.kill();
});

test('a closed window gives its process back after a while, and the tray opens it again', async () => {
  await waitFor('the window and its web process', () => webProcess() && windows().includes('Tokentray'));
  assert.equal(windowProcesses().length, 1, 'one window process, a child of the resident one');
  // Close it as a person would (the window manager asks it to close).
  execFileSync('wmctrl', ['-c', 'Tokentray'], { timeout: 10_000 });
  await waitFor('the window to go', () => !windows().includes('Tokentray'));
  await waitFor('the window process and its web process to end', () => !webProcess() && !windowProcesses().length, 10_000);
  // The app lives on in the tray and still serves scripts.
  const token = execFileSync(cli, ['token', 'pat'], { env: { ...process.env, TOKENTRAY_HOME: home }, timeout: 60_000 }).toString().trim();
  assert.equal(token, 'window-test-token');
  // "Open Tokentray" from the tray builds the window again.
  const item = await watcher.waitForItem();
  const { path, root: menu } = await watcher.menu(item);
  const open = menu.children.find((c) => c.label === 'Open Tokentray');
  assert.ok(open, 'an "Open Tokentray" entry');
  await watcher.click(item, path, open.id);
  await waitFor('the window to come back', () => webProcess() && windows().includes('Tokentray'));
  // Asked again while it is up, the tray brings the same window forward: no second one.
  await watcher.click(item, path, open.id);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(windowProcesses().length, 1, 'still one window process');
  assert.equal(windows().split('\n').filter((l) => l.includes('Tokentray')).length, 1, 'one window on screen');
  assert.deepEqual(residentWebKit(), [], 'the resident process runs no webview of its own');
});
