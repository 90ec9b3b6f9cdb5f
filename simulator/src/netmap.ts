// The simulated LAN the firmware sees, and the table that maps its addresses
// onto loopback services. Nothing here ever leaves 127.0.0.0/8: every host
// address is checked when a mapping is made and again right before each
// connect/send (assertLoopback).
import { isIP } from 'node:net';

/** Fault injection, per mapping or global (a mapping's own faults win). */
export interface Faults {
  /** Answer the SYN with a reset: CLOSED + Sn_IR TIMEOUT after the connect latency. */
  refuse?: boolean;
  /** Never answer the SYN: SYNSENT until the chip's retransmission timeout (RTR, RCR). */
  timeout?: boolean;
  /** Deliver this many bytes from the peer, then drop the connection with a reset. */
  resetAfter?: number;
  /** Deliver this many bytes from the peer, then the peer closes (FIN). */
  closeAfter?: number;
  /** Move at most this many received bytes into the RX buffer per simulated millisecond. */
  dripBytesPerMs?: number;
}

export interface Mapping {
  simIp: number;
  simPort: number;
  host: string;
  port: number;
  faults: Faults;
}

export interface LanOptions {
  network: string;
  mask: string;
  gateway: string;
  dns: string;
  poolStart: string;
  poolEnd: string;
  leaseSeconds: number;
  /** The address a loopback client appears to come from when it connects to a listening socket. */
  peer: string;
}

export const defaultLan: LanOptions = {
  network: '192.168.7.0',
  mask: '255.255.255.0',
  gateway: '192.168.7.1',
  dns: '192.168.7.1',
  poolStart: '192.168.7.100',
  poolEnd: '192.168.7.199',
  leaseSeconds: 86400,
  peer: '192.168.7.2',
};

export interface Lan {
  network: number;
  mask: number;
  gateway: number;
  dns: number;
  poolStart: number;
  poolEnd: number;
  leaseSeconds: number;
  peer: number;
}

export function parseIp(s: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  const parts = m ? m.slice(1).map(Number) : [];
  if (parts.length !== 4 || parts.some((p) => p > 255)) throw new Error(`not an IPv4 address: ${JSON.stringify(s)}`);
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function isLoopback(host: string): boolean {
  if (host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** Throws unless host is a literal loopback address (names are refused: a resolver could answer anything). */
export function assertLoopback(host: string, what: string): void {
  if (!isLoopback(host)) {
    throw new Error(
      `WIZnet model: refusing to ${what} ${JSON.stringify(host)}: only loopback (127.0.0.0/8, ::1) is allowed`,
    );
  }
}

function checkPort(port: number, what: string, min = 0) {
  if (!Number.isInteger(port) || port < min || port > 0xffff) throw new Error(`${what} is not a port: ${port}`);
}

const key = (ip: number, port: number) => `${ip}:${port}`;

export class NetMap {
  readonly lan: Lan;
  /** What a connection to an unmapped destination gets. */
  unmapped: 'refuse' | 'timeout' = 'refuse';
  /** Faults applied to every mapping without its own. */
  faults: Faults = {};
  private readonly table = new Map<string, Mapping>();
  private readonly listens = new Map<number, number>();

  constructor(lan: Partial<LanOptions> = {}) {
    const o = { ...defaultLan, ...lan };
    this.lan = {
      network: parseIp(o.network),
      mask: parseIp(o.mask),
      gateway: parseIp(o.gateway),
      dns: parseIp(o.dns),
      poolStart: parseIp(o.poolStart),
      poolEnd: parseIp(o.poolEnd),
      leaseSeconds: o.leaseSeconds,
      peer: parseIp(o.peer),
    };
  }

  /** Simulated simIp:simPort reaches host:port (TCP connect and UDP send). */
  map(simIp: string, simPort: number, host: string, port: number, faults: Faults = {}): Mapping {
    assertLoopback(host, 'map to');
    checkPort(simPort, 'simulated port');
    checkPort(port, 'host port', 1);
    const m: Mapping = { simIp: parseIp(simIp), simPort, host, port, faults };
    this.table.set(key(m.simIp, simPort), m);
    return m;
  }

  unmap(simIp: string, simPort: number): void {
    this.table.delete(key(parseIp(simIp), simPort));
  }

  lookup(ip: number, port: number): Mapping | undefined {
    return this.table.get(key(ip, port));
  }

  /** The simulated address a loopback UDP sender stands for. */
  reverse(host: string, port: number): Mapping | undefined {
    for (const m of this.table.values()) if (m.port === port && m.host === host) return m;
    return undefined;
  }

  /** A socket listening on simulated simPort accepts connections on 127.0.0.1:hostPort (0 = any free port). */
  listen(simPort: number, hostPort = 0): void {
    checkPort(simPort, 'simulated port');
    checkPort(hostPort, 'host port');
    this.listens.set(simPort, hostPort);
  }

  listenPort(simPort: number): number | undefined {
    return this.listens.get(simPort);
  }

  faultsFor(m: Mapping | undefined): Faults {
    return m && Object.keys(m.faults).length > 0 ? m.faults : this.faults;
  }

  /** Hosts that answer ARP on the LAN: the gateway, the DNS server and every mapped address inside the subnet. */
  answersArp(ip: number): boolean {
    if (ip === this.lan.gateway || ip === this.lan.dns || ip === this.lan.peer) return true;
    for (const m of this.table.values()) if (m.simIp === ip) return true;
    return false;
  }

  inSubnet(ip: number): boolean {
    return ((ip ^ this.lan.network) & this.lan.mask) === 0;
  }
}
