// Fault injection at register level: refused, timeout, reset mid-body, close
// early, slow drip, unmapped destinations, and the loopback-only guard.
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { SpiMaster, ip4 } from '../../simulator/src/spi-master.ts';
import {
  CMD,
  GAR,
  RCR,
  RTR,
  SIPR,
  SR,
  SUBR,
  SnIR_DISCON,
  SnIR_TIMEOUT,
  Sn_DIPR,
  Sn_DPORT,
  Sn_IR,
  Sn_MR,
  Sn_PORT,
  Sn_RX_RSR,
} from '../../simulator/src/w5100.ts';
import type { Faults } from '../../simulator/src/netmap.ts';

const BODY = Buffer.alloc(5000).map((_, i) => i & 0xff);
let server: Server | undefined;
let port = 0;
const masters: SpiMaster[] = [];
afterEach(() => {
  for (const m of masters.splice(0)) m.dispose();
});
after(() => server?.close());

async function start(faults: Faults = {}, map = true) {
  if (!server) {
    server = createServer((s) => {
      s.on('error', () => {});
      s.end(BODY);
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  }
  const m = new SpiMaster();
  masters.push(m);
  m.wBytes(GAR, ip4('192.168.7.1'));
  m.wBytes(SUBR, ip4('255.255.255.0'));
  m.wBytes(SIPR, ip4('192.168.7.50'));
  if (map) m.chip.map('192.168.7.2', 80, '127.0.0.1', port, faults);
  return m;
}

function connect(m: SpiMaster, dip = '192.168.7.2', dport = 80) {
  m.w(m.sreg(0, Sn_MR), 0x21);
  m.w16(m.sreg(0, Sn_PORT), 49152);
  m.cmd(0, CMD.OPEN);
  m.wBytes(m.sreg(0, Sn_DIPR), ip4(dip));
  m.w16(m.sreg(0, Sn_DPORT), dport);
  m.cmd(0, CMD.CONNECT);
}

/** Reads until the socket leaves ESTABLISHED with nothing left; returns the bytes and the final status. */
async function drain(m: SpiMaster, budgetMs = 3000) {
  const got: number[] = [];
  await m.runUntil(() => m.status(0) !== SR.SYNSENT, 100);
  for (;;) {
    got.push(...m.recvData(0));
    const sr = m.status(0);
    if (sr !== SR.ESTABLISHED && m.r16(m.sreg(0, Sn_RX_RSR)) === 0) return { got: Buffer.from(got), sr, ms: m.ms };
    await m.runMs(1);
    assert.ok(m.ms < budgetMs, 'stalled');
  }
}

describe('W5100 fault injection', () => {
  it('refuse: CLOSED + TIMEOUT after the connect latency', async () => {
    const m = await start({ refuse: true });
    connect(m);
    await m.runUntil(() => m.status(0) === SR.CLOSED, 5);
    assert.equal(m.r(m.sreg(0, Sn_IR)), SnIR_TIMEOUT);
  });

  it('timeout: SYNSENT for the whole retransmission schedule, then CLOSED + TIMEOUT', async () => {
    const m = await start({ timeout: true });
    m.w16(RTR, 100);
    m.w(RCR, 2); // 10 + 20 + 40 ms
    assert.equal(m.chip.tcpTimeoutUs(), 70_000);
    connect(m);
    await m.runMs(69);
    assert.equal(m.status(0), SR.SYNSENT);
    await m.runMs(2);
    assert.equal(m.status(0), SR.CLOSED);
    assert.equal(m.r(m.sreg(0, Sn_IR)), SnIR_TIMEOUT);
  });

  it('the datasheet timeout with reset values: RTR 200 ms, RCR 8 gives 31.8 s', async () => {
    const m = await start();
    assert.equal(m.chip.tcpTimeoutUs(), 31_800_000);
    assert.equal(m.chip.arpTimeoutUs(), 1_800_000);
  });

  it('reset mid-body: exactly N bytes, then CLOSED with DISCON', async () => {
    const m = await start({ resetAfter: 1234 });
    connect(m);
    const r = await drain(m);
    assert.ok(r.got.equals(BODY.subarray(0, 1234)));
    assert.equal(r.sr, SR.CLOSED);
    assert.equal(m.r(m.sreg(0, Sn_IR)) & SnIR_DISCON, SnIR_DISCON);
  });

  it('close early: exactly N bytes, then the peer FIN (CLOSE_WAIT)', async () => {
    const m = await start({ closeAfter: 3000 });
    connect(m);
    const r = await drain(m);
    assert.ok(r.got.equals(BODY.subarray(0, 3000)));
    assert.equal(r.sr, SR.CLOSE_WAIT);
    m.cmd(0, CMD.DISCON);
    await m.runUntil(() => m.status(0) === SR.CLOSED, 5);
  });

  it('slow drip: N bytes per simulated ms, all of them, in order', async () => {
    const m = await start({ dripBytesPerMs: 500 });
    connect(m);
    const t0 = m.ms;
    const r = await drain(m);
    assert.ok(r.got.equals(BODY));
    assert.ok(r.ms - t0 >= 9 && r.ms - t0 < 12, `took ${r.ms - t0} ms`);
  });

  it('global faults apply to mappings without their own', async () => {
    const m = await start();
    m.chip.net.faults = { refuse: true };
    connect(m);
    await m.runUntil(() => m.status(0) === SR.CLOSED, 5);
  });

  it('unmapped destination: refusal or timeout, as configured', async () => {
    const m = await start({}, false);
    connect(m, '203.0.113.9', 443); // off the LAN: through the gateway
    await m.runUntil(() => m.status(0) === SR.CLOSED, 5);
    m.chip.net.unmapped = 'timeout';
    m.w16(RTR, 100);
    m.w(RCR, 0);
    connect(m, '203.0.113.9', 443);
    await m.runMs(9);
    assert.equal(m.status(0), SR.SYNSENT);
    await m.runUntil(() => m.status(0) === SR.CLOSED, 5);
  });

  it('a wrong gateway makes off-LAN destinations unreachable (ARP timeout)', async () => {
    const m = await start();
    m.chip.map('203.0.113.9', 80, '127.0.0.1', port);
    m.wBytes(GAR, ip4('192.168.7.254'));
    m.w16(RTR, 100);
    m.w(RCR, 1);
    connect(m, '203.0.113.9', 80);
    await m.runMs(19);
    assert.equal(m.status(0), SR.SYNSENT);
    await m.runMs(2);
    assert.equal(m.status(0), SR.CLOSED);
  });

  it('never maps off loopback', async () => {
    const m = await start();
    assert.throws(() => m.chip.map('192.168.7.3', 80, '192.168.1.10', 80), /only loopback/);
    assert.throws(() => m.chip.map('192.168.7.3', 80, 'localhost', 80), /only loopback/);
  });
});
