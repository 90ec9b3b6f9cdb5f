// The board's web page (simulator/src/web):
//   web.lcd_to_page_ms        wall-clock time from the model's LCD taking a new frame to the
//                             page having drawn it in Debian's chromium (median of 40 frames)
//   web.server_rss_growth_mb  resident-set growth of this process (board + server + one SSE
//                             reader) over 10 minutes of simulated time with a new frame every
//                             simulated second, measured after a minute of warm-up
import { request } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startWebServer } from '../simulator/src/web/server.ts';
import { bootHostMode, SERIAL_PATH } from '../test/support/boot.ts';
import { launchChromium } from '../test/support/browser.ts';

const out = (name: string, value: number, unit: string, extra: Record<string, unknown> = {}) =>
  console.log(JSON.stringify({ name, value, unit, ...extra }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- latency: model -> rendered page ------------------------------------------------------
{
  const hb = await bootHostMode();
  const web = await startWebServer({ board: hb.board, usb: { binding: hb.binding, path: SERIAL_PATH } });
  // Chained after the server's hook: the moment the model shows a frame's first line.
  const modelAt = new Map<string, number>();
  const lcd = hb.board.lcd;
  const prev = lcd.onChange;
  lcd.onChange = () => {
    prev?.();
    const key = lcd.text()[0]!.trim();
    if (/^frame \d+$/.test(key) && !modelAt.has(key)) modelAt.set(key, Date.now());
  };
  hb.board.start(1);
  const browser = await launchChromium();
  const page = await browser.newPage();
  await page.goto(web.url);
  await page.waitForSelector('#conn[data-state="live"]');
  // After the DOM changes, the next animation frame is when the browser paints it.
  await page.evaluate(() => {
    const w = window as unknown as { seen: Record<string, number> };
    w.seen = {};
    const text = document.getElementById('lcd-text')!;
    new MutationObserver(() => {
      const key = (text.textContent ?? '').split('\n')[0]!.trim();
      requestAnimationFrame(() => {
        w.seen[key] ??= Date.now();
      });
    }).observe(text, { childList: true, characterData: true, subtree: true });
  });
  const deltas: number[] = [];
  for (let i = 0; i < 40; i++) {
    const key = `frame ${i}`;
    hb.write(`F ${key}|latency bench\n`);
    await page.waitForFunction(
      (k) => (window as unknown as { seen: Record<string, number> }).seen[k] !== undefined,
      key,
      { timeout: 5000 },
    );
    const seen = await page.evaluate((k) => (window as unknown as { seen: Record<string, number> }).seen[k]!, key);
    deltas.push(seen - modelAt.get(key)!);
    await sleep(50 + Math.random() * 50);
  }
  deltas.sort((a, b) => a - b);
  out('web.lcd_to_page_ms', deltas[deltas.length >> 1]!, 'ms', {
    target: '<= 100',
    p90: deltas[Math.floor(deltas.length * 0.9)],
    max: deltas[deltas.length - 1],
    frames: deltas.length,
  });
  await browser.close();
  await hb.board.stop();
  await web.close();
  await hb.close();
}

// ---- memory: 10 simulated minutes of updates --------------------------------------------------
{
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const hb = await bootHostMode();
  const web = await startWebServer({ board: hb.board, usb: { binding: hb.binding, path: SERIAL_PATH } });
  let events = 0;
  const reader = request({ host: '127.0.0.1', port: web.port, path: '/events' }, (res) => {
    res.on('data', (c: Buffer) => {
      events += c.toString('latin1').match(/^event: /gm)?.length ?? 0;
    });
  });
  reader.on('error', () => {});
  reader.end();
  const t0 = performance.now();
  const rss = () => {
    gc();
    return process.memoryUsage().rss / 2 ** 20;
  };
  let before = 0;
  for (let s = 0; s < 660; s++) {
    if (s === 60) {
      await sleep(300);
      before = rss();
    }
    hb.write(`F uptime ${s} s|rx ${(s * 7919) % 100000} tx ${s % 97}\n`);
    await hb.board.run(1000);
    await sleep(0);
  }
  await sleep(300);
  const growth = rss() - before;
  out('web.server_rss_growth_mb', +growth.toFixed(1), 'MB', {
    target: 'flat (< 5)',
    simulatedMinutes: 10,
    wallSeconds: +((performance.now() - t0) / 1000).toFixed(1),
    sseEvents: events,
  });
  reader.destroy();
  await web.close();
  await hb.close();
}
process.exit(0);
