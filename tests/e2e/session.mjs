// Starts the real desktop app under tauri-driver (WebDriver) on a fresh data directory, with
// its trace-level log in a file, and gives the tests what they need to drive and inspect it.
// The app binary is the debug build with the bundled UI (`tauri build --debug --no-bundle`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, existsSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { Builder, By, until } from 'selenium-webdriver';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const app = join(root, 'target', 'debug', 'tokentray-desktop');
export const cli = join(root, 'target', 'debug', 'tokentray');
const artifacts = join(root, 'artifacts', 'e2e');
export { By, until };

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

/**
 * Polls `check` until it returns something truthy (returned), or fails after `ms`. An element
 * that went stale while it was looked at (WebKit's driver says so when the page changes during
 * a query, as when a dialog closes) counts as "not yet".
 */
export async function waitFor(what, check, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    let value;
    try {
      value = await check();
    } catch (e) {
      if (e?.name !== 'StaleElementReferenceError') throw e;
    }
    if (value) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The X clipboard's text ('' when empty), as another program would paste it. */
export function clipboard() {
  try {
    return execFileSync('xclip', ['-o', '-selection', 'clipboard'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 })
      .toString()
      .trim();
  } catch {
    return '';
  }
}

/**
 * Starts the app with `profile` (a function of the data directory) and extra environment, and
 * goes to `page`: `list` (the accounts list), or `overview` (the first page, left as it is).
 */
export async function startApp({ profile = () => '', env = {}, page = 'list' } = {}) {
  assert.ok(existsSync(app), `build the app first: ${app} is missing`);
  assert.ok(process.env.DISPLAY, 'a display is needed (run under xvfb-run)');
  // D-Bus-activated services (dunst, the notification server) need the display too.
  try {
    execFileSync('dbus-update-activation-environment', ['DISPLAY', 'XAUTHORITY']);
  } catch {}
  const home = mkdtempSync(join(tmpdir(), 'tokentray-e2e-'));
  writeFileSync(join(home, 'profile.toml'), profile(home));
  const log = join(home, '..', `${home.split('/').pop()}.log`);
  const port = await freePort();
  const nativePort = await freePort();
  const fd = openSync(log, 'w');
  const driverProcess = spawn('tauri-driver', ['--port', String(port), '--native-port', String(nativePort)], {
    env: { ...process.env, TOKENTRAY_HOME: home, TOKENTRAY_LOG: 'trace', ...env },
    stdio: ['ignore', fd, fd],
  });
  await waitForHttp(`http://127.0.0.1:${port}/status`, 10_000);
  const driver = await new Builder()
    .usingServer(`http://127.0.0.1:${port}/`)
    .withCapabilities({ browserName: 'wry', 'tauri:options': { application: app } })
    .build();
  if (page === 'list') {
    const tab = await driver.wait(until.elementLocated(By.css('[data-view="list"]')), 15_000);
    await tab.click();
  }
  return {
    driver,
    home,
    log,
    /** The CLI and the environment that points it at the app, for a command run apart. */
    cliPath: cli,
    cliEnv: { ...process.env, TOKENTRAY_HOME: home },
    /** `tokentray ARGS…` against the app's socket. */
    // Bounded: a CLI that hangs fails its test with a name instead of stalling the whole run.
    cli: (...args) =>
      execFileSync(cli, args, { env: { ...process.env, TOKENTRAY_HOME: home }, timeout: 60_000 }).toString().trim(),
    /**
     * What a person sees: the window as X shows it (with `screen`, the whole screen, where
     * notifications appear), else WebDriver's snapshot.
     */
    async screenshot(name, { screen = false } = {}) {
      mkdirSync(artifacts, { recursive: true });
      const file = join(artifacts, `${name}.png`);
      await new Promise((r) => setTimeout(r, 300)); // let the last change paint
      try {
        // No window manager under Xvfb: the window sits at the origin, at its configured size.
        const crop = screen ? [] : ['-crop', '860x560+0+0', '+repage'];
        execFileSync('import', ['-window', 'root', ...crop, file], { timeout: 30_000 });
      } catch {
        writeFileSync(file, await driver.takeScreenshot(), 'base64');
      }
    },
    /** Sets a field's value as typing would (input and change events), for selects and dates too. */
    async set(css, value) {
      const el = await driver.wait(until.elementLocated(By.css(css)), 10_000);
      await driver.executeScript(
        `const el = arguments[0]; el.value = arguments[1];
         el.dispatchEvent(new Event('input', { bubbles: true }));
         el.dispatchEvent(new Event('change', { bubbles: true }));`,
        el,
        value,
      );
    },
    async click(css) {
      const el = await driver.wait(until.elementLocated(By.css(css)), 10_000);
      await driver.wait(until.elementIsEnabled(el), 10_000);
      await el.click();
    },
    /** From anywhere in the window: the add form, with a name and a grant kind chosen. */
    async newAccount(name, grant) {
      await this.click('.brand');
      await this.click('[data-action="add"]');
      await this.set('input[name="name"]', name);
      await this.set('select[name="grant"]', grant);
    },
    /** Names the account's issuer and has the form discover it; waits until the empty
     * `field` shows what discovery found there (`expected`), which the account will use. */
    async discover(issuer, field, expected) {
      await this.set('input[name="issuer"]', issuer);
      await this.click('.discovery button');
      await waitFor('discovery', async () => {
        const input = await driver.findElement(By.css(`input[name="${field}"]`));
        return (await input.getAttribute('value')) === '' && (await input.getAttribute('placeholder')) === expected;
      });
    },
    async stop() {
      await driver.quit().catch(() => {});
      driverProcess.kill();
      // The app must be gone before another starts: a lingering one would take the next
      // launch as a second instance (single instance) and the next test would wait forever.
      const running = () => {
        try {
          execFileSync('pgrep', ['-f', app]);
          return true;
        } catch {
          return false;
        }
      };
      for (let i = 0; i < 50 && running(); i += 1) await new Promise((r) => setTimeout(r, 100));
      if (running()) execFileSync('pkill', ['-KILL', '-f', app]);
    },
  };
}

/**
 * `test` from node:test, but a failure also says what the window showed: its text in the
 * error (CI's log is what one reads afterwards) and a screenshot `failed-<test>.png`.
 * `getApp` gives the app under test, when there is one.
 */
export function diagnosed(getApp) {
  return (name, fn) =>
    test(name, async (t) => {
      try {
        return await fn(t);
      } catch (e) {
        const app = getApp();
        if (app?.driver && app.screenshot) {
          const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 60);
          await app.screenshot(`failed-${slug}`).catch(() => {});
          const text = await app.driver.executeScript('return document.body.innerText').catch(() => '(unreadable)');
          if (e instanceof Error) e.message += `\n--- the window showed:\n${String(text).slice(0, 2000)}`;
        }
        throw e;
      }
    });
}

