// WebKit: Debian's MiniBrowser (libwebkit2gtk-4.1-0) driven by WebKitWebDriver through
// selenium-webdriver. MiniBrowser has no headless mode, so each browser gets its own Xvfb
// on a free display. The profile lives in a folder of its own (HOME and the XDG folders
// point there), so tests share nothing and a restart() finds the same storage. MiniBrowser
// hangs instead of failing when something is wrong, so every call is bounded, and Xvfb and
// WebKitWebDriver are killed (their whole process groups) on close and when Node exits.
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { Builder, By, Key } from 'selenium-webdriver';
import { Page } from './page.mjs';

const MINIBROWSER = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
const CALL_MS = 60000;

// Process groups started here and not yet stopped; killed if Node exits first.
const live = new Set();
process.on('exit', () => {
  for (const pid of live) {
    try { process.kill(-pid, 'SIGKILL'); } catch { /* already gone */ }
  }
});

function stop(child) {
  if (!child || !live.has(child.pid)) return;
  live.delete(child.pid);
  try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
}

function bounded(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`webkit: ${what} did not answer within ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Xvfb picks a free display itself and writes its number to fd 3.
async function startXvfb(screen) {
  const child = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', `${screen}x24`, '-nolisten', 'tcp'], { detached: true, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  live.add(child.pid);
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  try {
    const display = await bounded(new Promise((resolve, reject) => {
      let out = '';
      child.stdio[3].on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(`:${out.trim()}`);
      });
      child.on('exit', (code) => reject(new Error(`Xvfb exited (${code}): ${err}`)));
    }), 20000, 'Xvfb');
    return { child, display };
  } catch (e) {
    stop(child);
    throw e;
  }
}

// MiniBrowser's toolbar makes its window at least ~450 px wide; a phone's viewport is 375.
// Its GTK widgets are shrunk (the web content is drawn by WebKit, not styled by GTK).
const GTK_CSS = '* { min-width: 0; min-height: 0; padding: 0; margin: 0; border-width: 0; font-size: 1px; }\n';

async function startDriver(display, profileDir) {
  await mkdir(path.join(profileDir, 'config', 'gtk-3.0'), { recursive: true });
  await writeFile(path.join(profileDir, 'config', 'gtk-3.0', 'gtk.css'), GTK_CSS);
  const port = await freePort();
  const env = { ...process.env, DISPLAY: display, HOME: profileDir, XDG_DATA_HOME: path.join(profileDir, 'data'),
    XDG_CACHE_HOME: path.join(profileDir, 'cache'), XDG_CONFIG_HOME: path.join(profileDir, 'config'), XDG_RUNTIME_DIR: profileDir };
  const child = spawn('WebKitWebDriver', [`--port=${port}`, '--host=local'], { detached: true, env, stdio: ['ignore', 'ignore', 'pipe'] });
  live.add(child.pid);
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  // Ready when its port accepts a connection.
  const end = Date.now() + 20000;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => { c.end(); resolve(true); });
      c.on('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > end || child.exitCode !== null) {
      stop(child);
      throw new Error(`WebKitWebDriver did not start: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, url: `http://127.0.0.1:${port}` };
}

const KEYS = { Tab: Key.TAB, Enter: Key.ENTER, Escape: Key.ESCAPE, Space: Key.SPACE, Shift: Key.SHIFT };

// The page function's source goes into the script text (no eval in the page, which a
// strict CSP would refuse); undefined comes back as null, as WebDriver has no undefined.
const script = (src) => `var arg = arguments[0], done = arguments[arguments.length - 1];
Promise.resolve().then(function () { return (${src})(arg); }).then(
  function (v) { done({ ok: true, v: v === undefined ? null : v }); },
  function (e) { done({ ok: false, e: String((e && e.message) || e) }); });`;

class WebKitPage extends Page {
  constructor(browser, handle) {
    super('webkit');
    this.b = browser;
    this.handle = handle;
  }

  // One WebDriver session drives every window of the browser: each call switches to its
  // page's window first, one call at a time.
  run(what, work) {
    return this.b.serial(async (driver) => {
      if (this.b.current !== this.handle) {
        await driver.switchTo().window(this.handle);
        this.b.current = this.handle;
      }
      return bounded(work(driver), CALL_MS, what);
    });
  }

  async _evaluate(fn, arg) {
    const r = await this.run('evaluate', (d) => d.executeAsyncScript(script(fn.toString()), arg));
    if (!r.ok) throw new Error(`webkit: page function failed: ${r.e}`);
    return r.v;
  }

  // WebKitWebDriver can answer before the page's module scripts ran: wait for the load.
  async goto(url) {
    await this.run(`goto ${url}`, (d) => d.get(url));
    await this.loaded();
  }

  async reload() {
    await this.run('reload', (d) => d.navigate().refresh());
    await this.loaded();
  }

  loaded() {
    return this.waitFor(() => document.readyState === 'complete', null, { what: 'the page to load' });
  }

  async click(sel) {
    await this.waitForSelector(sel, { timeout: 10000 });
    try {
      await this.run(`click ${sel}`, async (d) => (await d.findElement(By.css(sel))).click());
    } catch (e) {
      // WebKitWebDriver scrolls an element only to the viewport's edge, where a sticky header
      // (the privacy centre's) can cover it; a shopper would scroll it into view first.
      if (e.name !== 'ElementClickInterceptedError') throw e;
      await this.$eval(sel, (el) => el.scrollIntoView({ block: 'center' }));
      await this.run(`click ${sel}`, async (d) => (await d.findElement(By.css(sel))).click());
    }
  }

  async press(key) {
    const keys = key.split('+').map((k) => KEYS[k] ?? k);
    const last = keys.pop();
    await this.run(`press ${key}`, (d) => {
      let a = d.actions();
      for (const k of keys) a = a.keyDown(k);
      a = a.sendKeys(last);
      for (const k of [...keys].reverse()) a = a.keyUp(k);
      return a.perform();
    });
  }

  async fill(sel, text) {
    await this.run(`fill ${sel}`, async (d) => {
      const el = await d.findElement(By.css(sel));
      await el.clear();
      await el.sendKeys(text);
    });
  }

  async _screenshot(file) {
    const png = await this.run('screenshot', (d) => d.takeScreenshot());
    await writeFile(file, Buffer.from(png, 'base64'));
  }

  // The window is sized so that the viewport (not the window) has the size asked for.
  async setViewport(width, height) {
    let want = { width, height };
    for (let i = 0; i < 6; i++) {
      await this.run('resize', (d) => d.manage().window().setRect(want));
      // The window takes its new size a moment after setRect answers: wait until it holds still.
      let got = await this.viewport();
      for (let j = 0; j < 20; j++) {
        await new Promise((r) => setTimeout(r, 100));
        const again = await this.viewport();
        if (again.width === got.width && again.height === got.height) break;
        got = again;
      }
      if (got.width === width && got.height === height) return;
      want = { width: want.width + width - got.width, height: want.height + height - got.height };
    }
    const got = await this.viewport();
    throw new Error(`webkit: the viewport is ${got.width}×${got.height}, not ${width}×${height}`);
  }


  async close() {
    await this.run('close', async (d) => {
      const handles = await d.getAllWindowHandles();
      if (handles.length > 1) {
        await d.close();
        this.b.current = null;
      } else {
        await d.get('about:blank');
      }
    });
  }
}

export async function launchWebKit(profileDir, { screen = '1600x1200' } = {}) {
  let xvfb;
  let driverProcess;
  let driver;
  let chain = Promise.resolve();
  const pages = [];
  const stopAll = () => {
    stop(driverProcess && driverProcess.child);
    stop(xvfb && xvfb.child);
  };
  const start = async () => {
    xvfb = await startXvfb(screen);
    try {
      driverProcess = await startDriver(xvfb.display, profileDir);
      driver = await bounded(new Builder().usingServer(driverProcess.url).withCapabilities({
        browserName: 'MiniBrowser',
        'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
      }).build(), CALL_MS, 'a new WebDriver session');
      await bounded(driver.manage().setTimeouts({ script: 30000, pageLoad: 30000, implicit: 0 }), CALL_MS, 'setTimeouts');
    } catch (e) {
      stopAll();
      throw e;
    }
  };
  await start();
  const quit = async () => {
    try {
      await bounded(driver.quit(), 10000, 'quit');
    } catch { /* the processes are killed below anyway */ }
    stopAll();
  };
  const browser = {
    current: null,
    serial(work) {
      const next = chain.then(() => work(driver));
      chain = next.catch(() => {});
      return next;
    },
    async newPage() {
      const handle = await browser.serial(async (d) => {
        if (pages.length === 0) return d.getWindowHandle();
        // New Window needs a live current window (the last one may have been closed).
        await d.switchTo().window((await d.getAllWindowHandles())[0]);
        await bounded(d.switchTo().newWindow('tab'), CALL_MS, 'a new window');
        return d.getWindowHandle();
      });
      browser.current = handle;
      const page = new WebKitPage(browser, handle);
      pages.push(page);
      return page;
    },
    async restart() {
      await quit();
      pages.length = 0;
      browser.current = null;
      await start();
    },
    close: quit,
  };
  return browser;
}
