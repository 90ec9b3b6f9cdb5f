// Fault: the real pmproxy is stopped and started again on the same port while the bridge
// runs (pmcd stays up). The bridge -> the real firmware in the simulated Uno must say
// plainly that the source is down, then, once pmproxy is back (its contexts lived in
// memory, so the bridge's context id is unknown there), make a new context and show live
// rates again without a restart of its own.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildMainFirmware } from '../../scripts/avr-build.ts';
import { Board } from '../../simulator/src/board.ts';
import { SimSerialBinding } from '../../simulator/src/serial-binding.ts';
import { Bridge } from '../../host/src/bridge.ts';
import { resolveConfig } from '../../host/src/config.ts';
import { silentLogger } from '../../host/src/log.ts';
import { SerialLink } from '../../host/src/serial-link.ts';
import { pcpUnavailable, usePrivatePcp } from '../support/pcp.ts';

const PATH = '/dev/pmlcd-restart0';

function lcd(board: Board): [string, string] {
  const row = (r: number) =>
    board.lcd
      .codes(r)
      .map((c) => String.fromCharCode(c))
      .join('');
  return [row(0), row(1)];
}

/** A rate on the main page: "<glyph> 1.23k <glyph>  456 B/s". */
const LIVE = /^.\s*[\d.]+[kMG]? .\s*[\d.]+[kMG]?\s*B\/s$/;

async function until(cond: () => boolean, what: string, ms: number, board: Board): Promise<number> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms)
      throw new Error(`timed out after ${ms} ms waiting for ${what}; LCD ${JSON.stringify(lcd(board))}`);
    await sleep(20);
  }
  return Date.now() - t0;
}

describe('real pmproxy stopped and restarted under a running bridge', { skip: pcpUnavailable() ?? false }, () => {
  const pcp = usePrivatePcp();
  let hex = '';
  before(async () => {
    hex = (await buildMainFirmware(true)).hex;
  });

  test('LCD says PCP down within a few polls, then a new context brings live rates back', async () => {
    const board = new Board({ firmware: hex });
    const binding = new SimSerialBinding();
    binding.attach(PATH, board);
    board.start();
    const link = new SerialLink({ binding, findPath: async () => PATH });
    // Main page only: the rotation must not move to another page while the test reads line 1.
    const cfg = resolveConfig({
      file: { pages: [{ page: 'main', seconds: 3600 }] },
      flags: {
        url: pcp.get().url,
        hostspec: pcp.get().hostspec,
        iface: 'lo',
        units: 'bytes',
        poll: '1',
        'timeout-ms': '800',
        'latency-instance': 'ping',
      },
    });
    const bridge = new Bridge({ cfg, link, log: silentLogger });
    const source = bridge.sources[0];
    bridge.start();
    try {
      await until(() => link.synced && LIVE.test(lcd(board)[0]), 'live rates', 20_000, board);
      const ctxBefore = source.client.contextId;
      const pidBefore = pcp.get().pids.pmproxy;
      assert.notEqual(ctxBefore, null);

      await pcp.get().stopPmproxy();
      // The alert alternates with the main page every 2 s; poll is 1 s.
      // The glass is written row by row: wait for the whole alert, reason included.
      const downMs = await until(
        () => lcd(board)[0].startsWith('!PCP down') && /ECONNREFUSED/.test(lcd(board)[1]),
        'the "!PCP down" alert naming ECONNREFUSED',
        6000,
        board,
      );
      assert.match(source.state().lastError ?? '', /ECONNREFUSED/);
      // Past 3 poll intervals the main page between alerts shows NA, never the last rate.
      await until(() => /^.\s+NA\s+.\s+NA\s+\d+s/.test(lcd(board)[0]), 'NA on the main page', 8000, board);
      assert.equal(source.state().up, false);

      await pcp.get().startPmproxy();
      assert.notEqual(pcp.get().pids.pmproxy, pidBefore);
      process.kill(pcp.get().pids.pmcd, 0); // pmcd was never touched (throws if it is gone)
      const tsDown = source.state().timestampNs;
      // Down for at most ~14 polls, the source is backed off (docs/backoff.md): at poll 1 s the
      // next attempt is at most 16 s away, so live rates return within 16 s plus a poll.
      const backMs = await until(
        () => source.state().up && LIVE.test(lcd(board)[0]),
        'live rates after the restart',
        20_000,
        board,
      );
      const ctxAfter = source.client.contextId;
      assert.notEqual(ctxAfter, null);
      assert.notEqual(ctxAfter, ctxBefore, 'the bridge made a new context on the new pmproxy');
      // Live, not a replay: pmproxy's sample time moves on across two more polls.
      const ts1 = source.state().timestampNs!;
      assert.ok(tsDown === null || ts1 > tsDown);
      await until(() => source.state().timestampNs! > ts1, 'a newer sample', 5000, board);
      assert.ok(LIVE.test(lcd(board)[0]), `LCD ${JSON.stringify(lcd(board))}`);
      console.error(`# alert ${downMs} ms after the stop, live again ${backMs} ms after the restart`);
    } finally {
      await bridge.stop();
      await board.stop();
    }
  });
});
