// The demo's additions to the simulated board's web page (`pmlcd demo --web`,
// `npm start -- --web`): the bridge's sources and serial link (host mode), which
// pmproxy the demo uses, and the controls only the demo has: stop and start the
// private pmproxy it started, and switch the bridge's page.
import type { Bridge } from '../host/src/bridge.ts';
import { escapeControl } from '../host/src/log.ts';
import type { SerialLink } from '../host/src/serial-link.ts';
import type { Board } from '../simulator/src/board.ts';
import type { SimSerialBinding } from '../simulator/src/serial-binding.ts';
import type { NetChip } from '../simulator/src/web/board-view.ts';
import { type Control, ControlError, type Panel, startWebServer, type WebServer } from '../simulator/src/web/server.ts';
import type { PrivatePcp } from './pcp-local.ts';

export interface DemoWebOptions {
  board: Board;
  port: number;
  /** The PMWEBAPI URL the demo uses (the local pmproxy or the private one). */
  url: string;
  /** Set when the demo started a private pmcd + pmproxy (it may then stop and start that pmproxy). */
  pcp: PrivatePcp | null;
  /** Host mode: the USB serial port, the bridge and its link. */
  usb?: { binding: SimSerialBinding; path: string };
  bridge?: () => Bridge | null;
  link?: SerialLink;
  /** Network mode: the Ethernet shield. */
  chip?: NetChip;
  log: (line: string) => void;
}

const ago = (ms: number) => (ms < 1000 ? 'just now' : `${Math.round(ms / 1000)} s ago`);

export function startDemoWeb(o: DemoWebOptions): Promise<WebServer> {
  const { pcp } = o;
  let pmproxyRunning = true;
  let pmproxyBusy = false;
  const controls: Control[] = [];
  if (o.bridge) {
    const bridge = o.bridge;
    controls.push({
      id: 'next-page',
      group: 'Bridge',
      label: () => 'Show the next page',
      state: () => `page now: ${bridge()?.pageName ?? 'bridge stopped'}`,
      enabled: () => bridge() !== null,
      run: () => {
        const b = bridge();
        if (!b) throw new ControlError('the bridge has stopped');
        b.nextPage();
        return `bridge page: ${b.pageName}`;
      },
    });
  }
  if (pcp) {
    controls.push({
      id: 'pmproxy',
      group: 'PCP',
      label: () => (pmproxyRunning ? 'Stop the private pmproxy' : 'Start the private pmproxy'),
      state: () =>
        pmproxyBusy
          ? 'working…'
          : pmproxyRunning
            ? `running, pid ${pcp.pids.pmproxy}, port ${pcp.pmproxyPort}`
            : 'stopped',
      enabled: () => !pmproxyBusy,
      run: async () => {
        pmproxyBusy = true;
        try {
          if (pmproxyRunning) await pcp.stopPmproxy();
          else await pcp.startPmproxy();
          pmproxyRunning = !pmproxyRunning;
        } finally {
          pmproxyBusy = false;
        }
        return pmproxyRunning ? `private pmproxy started (pid ${pcp.pids.pmproxy})` : 'private pmproxy stopped';
      },
    });
  }

  const panels = (): Panel[] => {
    const out: Panel[] = [];
    const pcpRows: [string, string][] = [['PMWEBAPI', escapeControl(o.url)]];
    if (pcp) {
      pcpRows.push([
        'pmproxy',
        pmproxyRunning ? `private, pid ${pcp.pids.pmproxy}` : 'private, stopped from this page',
      ]);
      pcpRows.push(['pmcd', `private, pid ${pcp.pids.pmcd}, port ${pcp.pmcdPort}`]);
    } else {
      pcpRows.push(['pmproxy', "this machine's own (the demo never stops it)"]);
    }
    out.push({ id: 'pcp', title: 'PCP', rows: pcpRows });
    const bridge = o.bridge?.();
    if (o.link || bridge) {
      const now = performance.now();
      const rows: [string, string][] = [];
      if (o.link) {
        rows.push([
          'serial link',
          escapeControl(o.link.state + (o.link.lastError ? ` (last problem: ${o.link.lastError})` : '')),
        ]);
        if (o.link.banner) rows.push(['board', escapeControl(o.link.banner.raw)]);
      }
      rows.push(['page', bridge ? bridge.pageName : 'bridge stopped']);
      const sources = bridge ? bridge.sources.map((s) => s.state()) : [];
      out.push({
        id: 'bridge',
        title: 'Bridge sources',
        rows,
        table: {
          head: ['source', 'state', 'API', 'polls', 'last good sample', 'latency', 'last error'],
          rows: sources.map((s) => [
            escapeControl(s.name),
            s.up ? 'up' : 'down',
            s.api,
            String(s.polls),
            s.lastGoodMs === null ? 'none yet' : ago(now - s.lastGoodMs),
            s.latencyUs === null ? 'NA' : `${(s.latencyUs / 1000).toFixed(1)} ms`,
            escapeControl(s.lastError ?? ''),
          ]),
        },
      });
    }
    return out;
  };

  return startWebServer({
    board: o.board,
    chip: o.chip,
    usb: o.usb,
    port: o.port,
    log: o.log,
    title: o.chip ? 'pmlcd demo (network mode)' : 'pmlcd demo',
    controls,
    panels,
  });
}
