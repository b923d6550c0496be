// Desktop figures (run through tests/bench/desktop.sh, which provides Xvfb and a session bus):
// start-to-window time, first render of the list with 1,000 accounts, the time from a click on
// the tray's "Open Tokentray" to the rendered list (the window is a process of its own, started
// on that click), and idle memory of all the app's processes (the resident one, the window's
// and their WebKit processes) with the window open, closed after use, and never opened.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWatcher } from '../e2e/sni-watcher.mjs';

const [app, runs = '5'] = process.argv.slice(2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function home(accounts) {
  const dir = mkdtempSync(join(tmpdir(), 'tokentray-bench-'));
  const far = new Date(Date.now() + 300 * 86_400_000).toISOString();
  let profile = '';
  // Static tokens: no network, so the figures are the app's own.
  for (let i = 0; i < accounts; i++) {
    profile += `[[account]]\nname = "account-${String(i).padStart(4, '0')}"\ngrant = "static"\ntoken = "token-${i}"\nexpires_at = "${far}"\n\n`;
  }
  writeFileSync(join(dir, 'profile.toml'), profile);
  return dir;
}

/** Starts the app; resolves when it logs the window's first render (or, hidden, its start). */
function start(dir, args = []) {
  const t0 = process.hrtime.bigint();
  const child = spawn(app, args, {
    env: {
      ...process.env,
      TOKENTRAY_HOME: dir,
      TOKENTRAY_PASSPHRASE: 'bench',
      TOKENTRAY_LOG: 'info',
      TOKENTRAY_WINDOW_IDLE_SECS: '5',
      NO_COLOR: '1',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let buffered = '';
  let seen = 0; // how much of the log earlier waits have read
  child.on('exit', () => {});
  child.stderr.on('data', (d) => (buffered += d));
  /** Resolves at the next log line matching `wanted`, with the ms since `since`. */
  const next = (wanted, since) =>
    new Promise((resolve, reject) => {
      const look = () => {
        const rest = buffered.slice(seen);
        const line = rest.split('\n').find((l) => wanted.test(l));
        if (!line) return false;
        seen += rest.indexOf(line) + line.length;
        const ms = Number(process.hrtime.bigint() - since) / 1e6;
        const list = /list_ms=([\d.]+)/.exec(line);
        const ipc = /ipc_ms=([\d.]+)/.exec(line);
        resolve({ ms, listMs: list ? Number(list[1]) : null, ipcMs: ipc ? Number(ipc[1]) : null });
        return true;
      };
      if (look()) return;
      const onData = () => look() && child.stderr.off('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`the app exited with ${code}: ${buffered}`)));
    });
  const ready = next(args.includes('--hidden') ? /tokentray started/ : /window ready/, t0);
  return { child, ready, next };
}

async function stop(child) {
  child.kill('SIGTERM');
  await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
  await sleep(500);
}

/** PSS and RSS (MB) of the process and all its descendants. */
function memory(pid) {
  const parents = new Map();
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      parents.set(Number(p), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {}
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) for (const [p, pp] of parents) if (pp === tree[i]) tree.push(p);
  let pss = 0;
  let rss = 0;
  const names = [];
  for (const p of tree) {
    try {
      const rollup = readFileSync(`/proc/${p}/smaps_rollup`, 'utf8');
      const own = Number(/^Pss:\s+(\d+)/m.exec(rollup)[1]);
      pss += own;
      rss += Number(/^Rss:\s+(\d+)/m.exec(rollup)[1]);
      names.push(`${readFileSync(`/proc/${p}/comm`, 'utf8').trim()} ${(own / 1024).toFixed(0)}`);
    } catch {}
  }
  return { pss: pss / 1024, rss: rss / 1024, processes: names };
}

const small = home(3);
const big = home(1000);
// First starts bring the profiles into the stores; the measured runs are warm.
for (const dir of [small, big]) {
  const { child, ready } = start(dir);
  await ready;
  await stop(child);
}

const startup = [];
for (let i = 0; i < Number(runs); i++) {
  const { child, ready } = start(small);
  startup.push((await ready).ms);
  await stop(child);
}
const render = [];
const ipc = [];
let open;
for (let i = 0; i < Number(runs); i++) {
  const { child, ready } = start(big);
  const shown = await ready;
  render.push(shown.listMs);
  ipc.push(shown.ipcMs);
  if (i === Number(runs) - 1) {
    await sleep(10_000);
    open = memory(child.pid);
  }
  await stop(child);
}
// Opened, then closed as a person would (the window manager's close): after the idle delay
// the webview is destroyed.
const wm = spawn('openbox', [], { stdio: 'ignore' });
await sleep(1000);
const used = start(big);
await used.ready;
await sleep(2000);
execFileSync('wmctrl', ['-c', 'Tokentray']);
await sleep(15_000);
const afterUse = memory(used.child.pid);
await stop(used.child);

const hidden = start(big, ['--hidden']);
await hidden.ready;
await sleep(10_000);
const closed = memory(hidden.child.pid);
await stop(hidden.child);

// From the tray: "Open Tokentray" clicked over D-Bus (as a panel does) → the list rendered.
// Each click finds no window process (it exited after the idle delay), so each is a cold open.
const watcher = await startWatcher();
const fromTray = [];
const tray = start(big, ['--hidden']);
await tray.ready;
const item = await watcher.waitForItem();
for (let i = 0; i < Number(runs); i++) {
  const { path, root } = await watcher.menu(item);
  const open = root.children.find((c) => c.label === 'Open Tokentray');
  const t0 = process.hrtime.bigint();
  const shown = tray.next(/window ready/, t0);
  await watcher.click(item, path, open.id);
  fromTray.push((await shown).ms);
  // Closed, then its process gone, before the next click.
  execFileSync('wmctrl', ['-c', 'Tokentray']);
  await sleep(7_000);
}
await stop(tray.child);
watcher.stop();
wm.kill();

const mb = (m) => `PSS ${m.pss.toFixed(1)} MB, RSS ${m.rss.toFixed(1)} MB (${m.processes.join(', ')})`;
console.log(`start to window (3 accounts, median of ${runs}): ${median(startup).toFixed(0)} ms   [${startup.map((x) => x.toFixed(0)).join(', ')}]`);
console.log(`first render of 1,000 accounts (the first page, the overview; median of ${runs}): ${median(render).toFixed(0)} ms   [${render.map((x) => x.toFixed(0)).join(', ')}]   goal ≤ 150 ms`);
console.log(`  of which the list's round trip (window process → socket → engine): ${median(ipc).toFixed(0)} ms`);
console.log(`open from the tray to the rendered first page (1,000 accounts, a cold start of the window process, median of ${runs}): ${median(fromTray).toFixed(0)} ms   [${fromTray.map((x) => x.toFixed(0)).join(', ')}]   goal ≤ 500 ms`);
console.log(`idle, window open, 1,000 accounts: ${mb(open)}`);
console.log(`idle, window closed after use (its process exited), 1,000 accounts: ${mb(afterUse)}   goal ≤ 90 MB`);
console.log(`idle, window never opened (--hidden), 1,000 accounts: ${mb(closed)}   goal ≤ 90 MB`);
