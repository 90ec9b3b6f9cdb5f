// The w5100-http test firmware (its own W5100 routines) fetches pages from a
// real loopback HTTP server through the W5100 model, running in the Board.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { buildTestFirmware } from '../../scripts/avr-build.ts';
import { Board } from '../../simulator/src/board.ts';
import { W5100 } from '../../simulator/src/w5100.ts';
import type { Faults } from '../../simulator/src/netmap.ts';

let hex = '';
let server: Server;
let port = 0;
/** The firmware always asks for "/": this picks the body. */
let serveBig = false;
const PAGE = 'Hello from loopback: pmlcd W5100 model test page.\n';
const BIG = Buffer.alloc(6000).map((_, i) => 0x41 + (i % 26));

before(async () => {
  hex = (await buildTestFirmware('w5100-http')).hex;
  server = createServer((_req, res) => {
    const body = serveBig ? BIG : Buffer.from(PAGE);
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length });
    res.end(body);
  });
  server.on('connection', (s) => s.on('error', () => {}));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
after(() => server.close());

/** The firmware's checksum: 16-bit rotate left by one, then add. */
function checksum(b: Uint8Array) {
  let sum = 0;
  for (const x of b) sum = ((((sum << 1) | (sum >> 15)) & 0xffff) + x) & 0xffff;
  return sum.toString(16);
}

/** Boots the firmware with 192.168.7.2:80 mapped to the loopback server; resolves with the serial text. */
async function fetchPage(opts: { faults?: Faults; map?: boolean; link?: boolean; big?: boolean; simMs?: number } = {}) {
  const board = new Board({ firmware: hex });
  const chip = new W5100(board);
  let text = '';
  board.serial.onByte((b) => {
    text += String.fromCharCode(b);
  });
  try {
    if (opts.map !== false) chip.map('192.168.7.2', 80, '127.0.0.1', port, opts.faults);
    serveBig = opts.big ?? false;
    chip.link = opts.link ?? true;
    await board.runUntil(() => /DONE|ERR/.test(text), opts.simMs ?? 8000, 'firmware finished');
    await board.run(5);
    return { text, chip, board };
  } finally {
    chip.dispose();
  }
}

function end(text: string) {
  const m = /END len=(\d+) sum=([0-9A-F]+) bulk=(\d+) us=(\d+) sr=([0-9A-F]+)/.exec(text);
  assert.ok(m, `no END line in:\n${text}`);
  return { len: Number(m[1]), sum: m[2].toLowerCase(), bulk: Number(m[3]), us: Number(m[4]), sr: parseInt(m[5], 16) };
}

describe('w5100-http firmware over the W5100 model', () => {
  it('fetches a page from a loopback HTTP server and prints it', async () => {
    const { text, chip } = await fetchPage();
    assert.match(text, /CONNECTED/);
    assert.match(text, /HTTP\/1\.1 200 OK\r\n/);
    assert.ok(text.includes(`\r\n\r\n${PAGE}`), text);
    const e = end(text);
    assert.equal(e.sr, 0x1c, 'CLOSE_WAIT after the server closed');
    assert.match(text, /DONE/);
    assert.equal(chip.stats[0].bytesIn, e.len);
    assert.equal(chip.stats[0].connects, 1);
  });

  it('pulls a 6 KB body through the 2 KB ring intact', async () => {
    const { text } = await fetchPage({ big: true });
    const e = end(text);
    const headerLen = text.indexOf('\r\n\r\n') + 4 - text.indexOf('HTTP/1.1');
    assert.equal(e.len, headerLen + BIG.length);
    const head = Buffer.from(text.slice(text.indexOf('HTTP/1.1'), text.indexOf('HTTP/1.1') + headerLen), 'latin1');
    assert.equal(e.sum, checksum(Buffer.concat([head, BIG])));
  });

  it('refused: the firmware sees CLOSED with Sn_IR TIMEOUT', async () => {
    const { text } = await fetchPage({ faults: { refuse: true } });
    assert.match(text, /ERR connect sr=0 ir=8/);
  });

  it('unmapped address: refused by default', async () => {
    const { text } = await fetchPage({ map: false });
    assert.match(text, /ERR connect sr=0 ir=8 ms=[01]\r/);
  });

  it('timeout: SYNSENT until the firmware gives up (3 s), as the chip retries for 31.8 s', async () => {
    const { text } = await fetchPage({ faults: { timeout: true } });
    assert.match(text, /ERR connect sr=15 ir=0 ms=300\d/);
  });

  it('link down: the firmware can only see it as a connect timeout', async () => {
    const { text } = await fetchPage({ link: false });
    // ARP gives up after RTR x (RCR + 1) = 200 ms x 9
    assert.match(text, /ERR connect sr=0 ir=8 ms=18\d\d/);
  });

  it('reset mid-body: the firmware gets exactly the bytes before it, then CLOSED', async () => {
    const { text } = await fetchPage({ big: true, faults: { resetAfter: 1000 } });
    const e = end(text);
    assert.equal(e.len, 1000);
    assert.equal(e.sr, 0);
  });

  it('close early: FIN after N bytes, the firmware sees CLOSE_WAIT', async () => {
    const { text } = await fetchPage({ big: true, faults: { closeAfter: 700 } });
    const e = end(text);
    assert.equal(e.len, 700);
    assert.equal(e.sr, 0x1c);
  });

  it('slow drip: N bytes per simulated ms stretch the transfer in simulated time', async () => {
    // Slower than the firmware echoes to serial (11.5 B/ms), so the ring never fills and the drip sets the pace.
    const { text } = await fetchPage({ big: true, faults: { dripBytesPerMs: 8 } });
    const e = end(text);
    assert.ok(e.bulk > 5000, `bulk ${e.bulk}`);
    const rate = e.bulk / (e.us / 1000); // bytes per simulated ms
    assert.ok(rate < 8.1 && rate > 7.5, `rate ${rate} B/ms`); // edges: bytes already in the ring when timing starts
  });
});

describe('W5100 model and board resets', () => {
  it('an external reset resets the chip with the AVR; the firmware boots and fetches again', async () => {
    const board = new Board({ firmware: hex });
    const chip = new W5100(board);
    let text = '';
    board.serial.onByte((b) => {
      text += String.fromCharCode(b);
    });
    chip.map('192.168.7.2', 80, '127.0.0.1', port);
    serveBig = false;
    try {
      await board.runUntil(() => text.includes('DONE'), 3000);
      assert.equal(chip.mem[0x0001], 192, 'GAR as the firmware set it');
      board.resetExternal(); // the shield's reset line follows the Uno's RESET
      assert.equal(chip.mem[0x0001], 0, 'GAR back to its reset value');
      text = '';
      await board.runUntil(() => text.includes('DONE'), 3000);
      assert.match(text, /BOOT w5100-http[\s\S]*CONNECTED[\s\S]*END len=\d+/);
      assert.equal(chip.stats[0].connects, 2, 'statistics count across resets');
    } finally {
      chip.dispose();
    }
  });
});

describe('W5100 model timing', () => {
  it('is deterministic: the same fetch ends on the same simulated cycle every run', async () => {
    serveBig = false;
    const cycles: number[] = [];
    for (let i = 0; i < 3; i++) {
      const board = new Board({ firmware: hex });
      // Exactness holds while the host answers within the wall-clock hold caps;
      // generous caps keep a loaded CI machine from turning a late FIN into a
      // different (but equally valid) landing cycle.
      const chip = new W5100(board, { holdCapMs: 10_000, quietHoldMs: 10_000 });
      let text = '',
        at = 0;
      board.serial.onByte((b) => {
        text += String.fromCharCode(b);
        if (!at && text.endsWith('END')) at = board.cycles; // the exact cycle the firmware printed it
      });
      chip.map('192.168.7.2', 80, '127.0.0.1', port);
      try {
        await board.runUntil(() => at > 0, 3000);
      } finally {
        chip.dispose();
      }
      cycles.push(at);
      if (i > 0) await new Promise((r) => setTimeout(r, 20 * i)); // different wall-clock timing each run
    }
    assert.equal(new Set(cycles).size, 1, `cycles: ${cycles.join(', ')}`);
  });
});
