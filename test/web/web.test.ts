// The board's web page (simulator/src/web) in a real Chromium: it loads, its LCD cells
// follow the model's DDRAM, the reset control brings the banner and the screen back,
// pulling the Ethernet cable in network mode shows the documented reason ("no link?",
// docs/screens.md), requests that are not from loopback names are refused, and the
// page picks up again after a server restart. Takes the README's screenshot.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { Board } from '../../simulator/src/board.ts';
import { ARTIFACT_DIR } from '../../simulator/src/lcd-render.ts';
import { startWebServer, type WebServer } from '../../simulator/src/web/server.ts';
import { launchChromium } from '../support/browser.ts';
import {
  BANNER_RE,
  SERIAL_PATH,
  bootHostMode,
  bootNetworkMode,
  followSimClock,
  type HostModeBoard,
  type NetworkModeBoard,
} from '../support/boot.ts';
import { type FakePmwebapi, startFakePmwebapi } from '../support/pmwebapi-fake.ts';

const WAIT = { timeout: 10_000 };

/** The page's LCD cells as character codes, row by row (from the DOM's data-code). */
function pageCodes(page: Page): Promise<number[][]> {
  return page.$$eval('#lcd canvas.cell', (cells) => {
    const rows: number[][] = [];
    for (const c of cells as HTMLElement[]) {
      const r = Number(c.dataset.row),
        col = Number(c.dataset.col);
      rows[r] ??= [];
      rows[r][col] = Number(c.dataset.code);
    }
    return rows;
  });
}

/** Waits until the page's cells equal `codes`. */
async function waitForCodes(page: Page, codes: number[][]): Promise<void> {
  await page.waitForFunction(
    (want) => {
      const cells = [...document.querySelectorAll<HTMLElement>('#lcd canvas.cell')];
      if (cells.length !== want.length * want[0]!.length) return false;
      return cells.every((c) => want[Number(c.dataset.row)]![Number(c.dataset.col)] === Number(c.dataset.code));
    },
    codes,
    WAIT,
  );
}

const modelCodes = (hb: { board: { lcd: { config: { rows: number }; codes(r: number): number[] } } }) =>
  Array.from({ length: hb.board.lcd.config.rows }, (_, r) => hb.board.lcd.codes(r));

/** A plain HTTP request with the given headers (no browser: any Host and Origin can be sent). */
function raw(port: number, method: string, path: string, headers: Record<string, string>, body?: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, setHost: false }, (res) => {
      let b = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        b += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

describe('host mode: the page follows the board', () => {
  let hb: HostModeBoard;
  let web: WebServer;
  let page: Page;
  before(async () => {
    hb = await bootHostMode();
    web = await startWebServer({
      board: hb.board,
      usb: { binding: hb.binding, path: SERIAL_PATH },
      title: 'pmlcd test board',
    });
    hb.board.start(1);
    page = await browser.newPage();
  });
  after(async () => {
    await page?.close();
    await hb?.board.stop();
    await web?.close();
    await hb?.close();
  });

  it("loads: title, one cell per character of the model's geometry, live", async () => {
    await page.goto(web.url);
    await page.waitForSelector('#conn[data-state="live"]', WAIT);
    assert.equal(await page.title(), 'pmlcd test board');
    const { columns, rows } = hb.board.lcd.config;
    assert.equal(await page.locator('#lcd canvas.cell').count(), columns * rows);
    assert.match(await page.locator('#lcd-geometry').innerText(), new RegExp(`^${columns}x${rows}$`));
  });

  it('an F frame sent through the serial binding shows in the cells and in the live text', async () => {
    const from = hb.lines.length;
    hb.write('F web page|\\0 shows \\1 this\n');
    for (let i = 0; i < 200 && !hb.lines.slice(from).includes('OK'); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(hb.lines.slice(from).includes('OK'), `the board answered ${JSON.stringify(hb.lines.slice(from))}`);
    const want = modelCodes(hb);
    assert.deepEqual(
      want[0]!.slice(0, 8),
      [...'web page'].map((c) => c.charCodeAt(0)),
      'the model took the frame',
    );
    await waitForCodes(page, want);
    assert.deepEqual(await pageCodes(page), modelCodes(hb));
    assert.equal(await page.locator('#lcd-text').innerText(), hb.board.lcd.text().join('\n'));
    assert.equal(await page.locator('#lcd-text').getAttribute('aria-live'), 'polite');
    // Both directions in the console: the frame sent and the board's OK.
    await page.waitForSelector('#console li.to-board:has-text("F web page")', WAIT);
    await page.waitForSelector('#console li.from-board:has-text("OK")', WAIT);
  });

  it('the reset button brings the banner into the console and the screen back', async () => {
    const banners = () => page.locator('#console li.from-board', { hasText: /^.*PMLCD 1 / }).count();
    const before = await banners();
    await page.getByRole('button', { name: 'Reset the board' }).click();
    await page.waitForFunction(
      (n) =>
        [...document.querySelectorAll('#console li.from-board')].filter((li) => /PMLCD 1 /.test(li.textContent ?? ''))
          .length > n,
      before,
      WAIT,
    );
    const banner = (await page.locator('#console li.from-board', { hasText: 'PMLCD 1 ' }).last().innerText()).replace(
      /^.*?←\s*/,
      '',
    );
    assert.match(banner, BANNER_RE);
    assert.match(banner, /reset=ext/);
    await page.waitForSelector('#console li.sim:has-text("board reset")', WAIT);
    // The firmware's boot screen, then a host's redraw: the page shows whatever the glass shows.
    const from = hb.lines.length;
    hb.write('F back again|after reset\n');
    // The frame is drawn when the board answers OK; the page may still be a push behind.
    for (let i = 0; i < 200 && !hb.lines.slice(from).includes('OK'); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(hb.lines.slice(from).includes('OK'), `the board answered ${JSON.stringify(hb.lines.slice(from))}`);
    assert.match(hb.board.lcd.text().join('\n'), /^back again.*\nafter reset/s);
    await waitForCodes(page, modelCodes(hb));
    assert.deepEqual(await pageCodes(page), modelCodes(hb));
  });

  it('the USB control unplugs and replugs the serial port', async () => {
    await page.getByRole('button', { name: 'Unplug the USB cable' }).click();
    await page.getByRole('button', { name: 'Plug in the USB cable' }).waitFor(WAIT);
    assert.equal((await hb.binding.list()).length, 0, 'the port is gone from the list');
    await page.getByRole('button', { name: 'Plug in the USB cable' }).click();
    await page.getByRole('button', { name: 'Unplug the USB cable' }).waitFor(WAIT);
    assert.equal((await hb.binding.list()).length, 1);
  });
});

describe('network mode: the cable, the sockets, the refusals, a restart', () => {
  let fake: FakePmwebapi;
  let nb: NetworkModeBoard;
  let web: WebServer;
  let page: Page;
  let tick = () => {};
  before(async () => {
    fake = await startFakePmwebapi();
    // The server watches from power-on, so the console holds the settings sent before M net.
    let starting: Promise<WebServer> | undefined;
    nb = await bootNetworkMode({
      port: fake.port,
      settings: { poll: '1' },
      setup: (chip) => {
        starting = startWebServer({ board: chip.host as Board, chip, title: 'pmlcd network test' });
      },
    });
    web = await starting!;
    tick = followSimClock(fake, nb.board);
    await nb.until(() => /\dbps\|/.test(nb.lcd()), 70000, 'live rates', tick);
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(web.url);
    await page.waitForSelector('#conn[data-state="live"]', WAIT);
  });
  after(async () => {
    await page?.close();
    await web?.close();
    nb?.dispose();
    await fake?.close();
  });

  it('shows the sockets, the DHCP lease and live rates; takes the screenshot', async () => {
    await page.waitForSelector('#net-card:not([hidden])', WAIT);
    await page.waitForFunction(
      () => /ESTABLISHED|CLOSE_WAIT|CLOSED/.test(document.getElementById('sockets')?.textContent ?? ''),
      null,
      WAIT,
    );
    assert.match(await page.locator('#net-facts').innerText(), /192\.168\.7\.1\d\d/);
    await page.waitForSelector('#console li.to-board:has-text("M net")', WAIT);
    await waitForCodes(page, modelCodes(nb));
    await page.waitForFunction(() => /\dbps/.test(document.getElementById('lcd-text')?.textContent ?? ''), null, WAIT);
    mkdirSync(ARTIFACT_DIR, { recursive: true });
    await page.screenshot({ path: join(ARTIFACT_DIR, 'web.png'), fullPage: true });
    if (process.env.PMLCD_UPDATE_SCREENSHOT)
      copyFileSync(join(ARTIFACT_DIR, 'web.png'), join(import.meta.dirname, '../../docs/web.png'));
  });

  it('pulling the Ethernet cable shows "no link?" on the page\'s LCD', async () => {
    await page.getByRole('button', { name: 'Pull the Ethernet cable' }).click();
    await page.getByRole('button', { name: 'Plug in the Ethernet cable' }).waitFor(WAIT);
    assert.equal(nb.chip.link, false);
    fake.state.faults.push({ reset: true }); // drop the kept-alive connection: the next poll connects anew
    await nb.until(() => nb.lcd().split('|')[1] === 'no link?'.padEnd(16), 20000, '"no link?"', tick);
    await page.waitForFunction(
      () => document.getElementById('lcd-text')?.textContent?.split('\n')[1]?.trim() === 'no link?',
      null,
      WAIT,
    );
    assert.deepEqual(await pageCodes(page), modelCodes(nb));
    await page.getByRole('button', { name: 'Plug in the Ethernet cable' }).click();
    await page.getByRole('button', { name: 'Pull the Ethernet cable' }).waitFor(WAIT);
    assert.equal(nb.chip.link, true);
  });

  it('fault injection from the page reaches the simulated LAN', async () => {
    await page.getByRole('combobox', { name: /Apply fault/ }).selectOption('truncate');
    await page.getByRole('button', { name: 'Apply fault' }).click();
    await page.waitForFunction(
      () => /truncated after 200 B/.test(document.getElementById('net-facts')?.textContent ?? ''),
      null,
      WAIT,
    );
    assert.deepEqual(nb.chip.net.faults, { closeAfter: 200 });
    await page.getByRole('combobox', { name: /Apply fault/ }).selectOption('none');
    await page.getByRole('button', { name: 'Apply fault' }).click();
    await page.waitForFunction(
      () => /fault injection\s*none/.test(document.getElementById('net-facts')?.textContent ?? ''),
      null,
      WAIT,
    );
    assert.deepEqual(nb.chip.net.faults, {});
  });

  it('refuses a foreign Host or Origin, wrong methods and unknown paths (plain HTTP)', async () => {
    const p = web.port;
    const ok = { Host: `127.0.0.1:${p}` };
    const json = { 'Content-Type': 'application/json' };
    assert.equal((await raw(p, 'GET', '/', ok)).status, 200);
    assert.equal((await raw(p, 'GET', '/', { Host: `localhost:${p}` })).status, 200);
    assert.equal((await raw(p, 'GET', '/', { Host: `[::1]:${p}` })).status, 200);
    for (const host of [`evil.example:${p}`, `localhost.evil.example:${p}`, `127.0.0.1:${p + 1}`, '127.0.0.1']) {
      const r = await raw(p, 'GET', '/', { Host: host });
      assert.equal(r.status, 403, host);
      assert.match(r.body, /Host .* is not this server's loopback address/);
    }
    const dhcp = JSON.stringify({ value: 'serve' });
    for (const origin of ['http://evil.example', `http://evil.example:${p}`, 'null', `https://127.0.0.1:${p}`]) {
      const r = await raw(p, 'POST', '/control/dhcp', { ...ok, ...json, Origin: origin }, dhcp);
      assert.equal(r.status, 403, origin);
      assert.match(r.body, /Origin .* is not this server's loopback origin/);
    }
    const good = await raw(p, 'POST', '/control/dhcp', { ...ok, ...json, Origin: `http://localhost:${p}` }, dhcp);
    assert.equal(good.status, 200, good.body);
    assert.equal((await raw(p, 'GET', '/control/dhcp', ok)).status, 405);
    assert.equal((await raw(p, 'POST', '/', ok)).status, 405);
    assert.equal((await raw(p, 'GET', '/etc/passwd', ok)).status, 404);
    assert.equal((await raw(p, 'POST', '/control/nope', { ...ok, ...json }, '{}')).status, 404);
    assert.equal((await raw(p, 'POST', '/control/dhcp', { ...ok, 'Content-Type': 'text/plain' }, dhcp)).status, 415);
    assert.equal((await raw(p, 'POST', '/control/dhcp', { ...ok, ...json }, '{not json')).status, 400);
    assert.equal((await raw(p, 'POST', '/control/dhcp', { ...ok, ...json }, '{"value":"sometimes"}')).status, 409);
    assert.equal((await raw(p, 'POST', '/control/dhcp', { ...ok, ...json }, 'x'.repeat(10_000))).status, 413);
    assert.equal(nb.chip.dhcp.mode, 'serve');
    // The server lives on after all that.
    assert.equal((await raw(p, 'GET', '/state', ok)).status, 200);
  });

  it('picks up again after a server restart (EventSource reconnects, a new snapshot)', async () => {
    const snapshots = Number(await page.evaluate(() => document.body.dataset.snapshots));
    const port = web.port;
    await web.close();
    await page.waitForSelector('#conn[data-state="reconnecting"]', WAIT);
    web = await startWebServer({ board: nb.board, chip: nb.chip, port, title: 'pmlcd network test (restarted)' });
    await page.waitForFunction((n) => Number(document.body.dataset.snapshots) > n, snapshots, WAIT);
    await page.waitForSelector('#conn[data-state="live"]', WAIT);
    assert.equal(await page.title(), 'pmlcd network test (restarted)');
    await nb.board.run(1500);
    await waitForCodes(page, modelCodes(nb));
  });
});
