// Network mode against a real pmproxy that is stopped and started again on the same port
// (pmcd stays up): the firmware's LCD goes stale (NA and the age) while nothing answers,
// then the firmware makes a new context on the new pmproxy (the old id is unknown there)
// and shows live rates again, with no reset.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pcpUnavailable, usePrivatePcp } from '../support/pcp.ts';
import { bootNetworkMode, type NetworkModeBoard } from '../support/boot.ts';

const skip = pcpUnavailable() ?? false;
const pcp = usePrivatePcp({ shping: [{ tag: 'lo', command: 'true' }] });
const LIVE = /^①.{5} ②.{5}bps\|/;

describe('network mode: real pmproxy stopped and restarted', { skip }, () => {
  let nb: NetworkModeBoard | undefined;
  after(() => nb?.dispose());

  it('stale while pmproxy is away, live again on a new context after it is back', async () => {
    const { pmproxyPort, hostspec } = pcp.get();
    nb = await bootNetworkMode({
      port: pmproxyPort,
      settings: { iface: 'lo', 'm.latinst': 'lo', poll: '1', 'srv.api': 'pmproxy', 'srv.hostspec': hostspec },
    });
    const board = nb.board;
    await nb.until(() => LIVE.test(nb!.lcd()) && !nb!.lcd().includes('NA'), 30_000, 'live rates');
    const resets = nb.out().match(/PMLCD 1/g)!.length;

    await pcp.get().stopPmproxy();
    await nb.until(() => nb!.lcd().includes('NA'), 10_000, 'the stale display');
    assert.match(nb.lcd(), /^① {2}NA {2}② {2}NA +\d+s\|/);

    await pcp.get().startPmproxy();
    const t0 = board.millis;
    await nb.until(() => LIVE.test(nb!.lcd()) && !nb!.lcd().includes('NA'), 20_000, 'live rates after the restart');
    console.error(`# live again ${Math.round(board.millis - t0)} simulated ms after pmproxy came back`);
    assert.equal(nb.out().match(/PMLCD 1/g)!.length, resets, 'recovered without a reset');
  });
});
