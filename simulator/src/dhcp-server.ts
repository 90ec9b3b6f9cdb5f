// The DHCP server on the simulated LAN (RFC 2131/2132). Pure: a request in,
// a reply (or nothing) out; the W5100 model carries the datagrams.
import type { Lan } from './netmap.ts';

export const BOOTREQUEST = 1,
  BOOTREPLY = 2;
export const DHCPDISCOVER = 1,
  DHCPOFFER = 2,
  DHCPREQUEST = 3,
  DHCPDECLINE = 4,
  DHCPACK = 5,
  DHCPNAK = 6,
  DHCPRELEASE = 7;
export const OPT_PAD = 0,
  OPT_SUBNET = 1,
  OPT_ROUTER = 3,
  OPT_DNS = 6,
  OPT_REQUESTED_IP = 50,
  OPT_LEASE = 51,
  OPT_MSG_TYPE = 53,
  OPT_SERVER_ID = 54,
  OPT_T1 = 58,
  OPT_T2 = 59,
  OPT_END = 255;
export const MAGIC_COOKIE = 0x63825363;
export const OPTIONS_AT = 240;
/** BOOTP's minimum message size; some clients drop shorter replies. */
const MIN_REPLY = 300;

/** serve: OFFER and ACK; refuse: OFFER, then NAK every REQUEST; silent: never answer. */
export type DhcpMode = 'serve' | 'refuse' | 'silent';

export interface DhcpStats {
  discover: number;
  request: number;
  offer: number;
  ack: number;
  nak: number;
  ignored: number;
}

export interface DhcpOptions {
  type?: number;
  requested?: number;
  serverId?: number;
}

/** One request as the server saw it, for tests that check what a client sent when. */
export interface DhcpRequestSeen extends DhcpOptions {
  ciaddr: number;
  /** Sent to the server's own address (RENEWING) rather than broadcast. */
  unicast: boolean;
}

/** Lease times in seconds (RFC 2131 4.4.5 defaults: T1 = lease/2, T2 = lease*7/8). */
export interface LeaseTimes {
  seconds: number;
  t1?: number;
  t2?: number;
}

/** Parses the options after the magic cookie; undefined if the packet is not a well-formed DHCP request. */
export function parseRequest(p: Uint8Array): DhcpOptions | undefined {
  if (p.length < OPTIONS_AT + 1 || p[0] !== BOOTREQUEST || p[1] !== 1 || p[2] !== 6) return undefined;
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  if (dv.getUint32(236) !== MAGIC_COOKIE) return undefined;
  const out: DhcpOptions = {};
  for (let i = OPTIONS_AT; i < p.length; ) {
    const code = p[i++];
    if (code === OPT_END) return out;
    if (code === OPT_PAD) continue;
    if (i >= p.length) return undefined;
    const len = p[i++];
    if (i + len > p.length) return undefined;
    if (code === OPT_MSG_TYPE && len === 1) out.type = p[i];
    if (code === OPT_REQUESTED_IP && len === 4) out.requested = dv.getUint32(i);
    if (code === OPT_SERVER_ID && len === 4) out.serverId = dv.getUint32(i);
    i += len;
  }
  return undefined; // no END option
}

export class DhcpServer {
  mode: DhcpMode = 'serve';
  readonly stats: DhcpStats = { discover: 0, request: 0, offer: 0, ack: 0, nak: 0, ignored: 0 };
  /** MAC (hex) -> leased address. */
  readonly leases = new Map<string, number>();
  /** Options 51, 58 and 59 of every OFFER and ACK; change at any time. */
  lease: LeaseTimes;
  /** Called with each well-formed request before it is answered. */
  onRequest?: (req: DhcpRequestSeen) => void;

  constructor(private readonly lan: Lan) {
    this.lease = { seconds: lan.leaseSeconds };
  }

  get serverIp(): number {
    return this.lan.gateway;
  }

  /** The reply to one request, or null when the server stays quiet. */
  handle(p: Uint8Array, unicast = false): Uint8Array | null {
    const opts = parseRequest(p);
    if (!opts || opts.type === undefined) {
      this.stats.ignored++;
      return null;
    }
    this.onRequest?.({ ...opts, ciaddr: new DataView(p.buffer, p.byteOffset, p.byteLength).getUint32(12), unicast });
    const mac = Buffer.from(p.subarray(28, 34)).toString('hex');
    if (opts.type === DHCPDISCOVER) this.stats.discover++;
    if (opts.type === DHCPREQUEST) this.stats.request++;
    if (opts.type === DHCPRELEASE || opts.type === DHCPDECLINE) {
      this.leases.delete(mac);
      return null;
    }
    if (this.mode === 'silent') return null;
    if (opts.type === DHCPDISCOVER) {
      const ip = this.allocate(mac);
      if (ip === undefined) return null;
      this.stats.offer++;
      return this.reply(p, DHCPOFFER, ip);
    }
    if (opts.type !== DHCPREQUEST) {
      this.stats.ignored++;
      return null;
    }
    if (opts.serverId !== undefined && opts.serverId !== this.serverIp) return null; // the client chose another server
    const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
    const wanted = opts.requested ?? dv.getUint32(12);
    const ip = this.allocate(mac);
    if (this.mode === 'refuse' || ip === undefined || wanted !== ip) {
      this.stats.nak++;
      return this.reply(p, DHCPNAK, 0);
    }
    this.stats.ack++;
    return this.reply(p, DHCPACK, ip);
  }

  private allocate(mac: string): number | undefined {
    const had = this.leases.get(mac);
    if (had !== undefined) return had;
    const taken = new Set(this.leases.values());
    for (let ip = this.lan.poolStart; ip <= this.lan.poolEnd; ip++) {
      if (!taken.has(ip)) {
        this.leases.set(mac, ip);
        return ip;
      }
    }
    return undefined;
  }

  private reply(req: Uint8Array, type: number, yiaddr: number): Uint8Array {
    const out = new Uint8Array(MIN_REPLY);
    const dv = new DataView(out.buffer);
    out.set([BOOTREPLY, 1, 6, 0]);
    out.set(req.subarray(4, 8), 4); // xid
    out.set(req.subarray(10, 12), 10); // flags
    dv.setUint32(16, yiaddr);
    dv.setUint32(20, type === DHCPNAK ? 0 : this.serverIp);
    out.set(req.subarray(24, 44), 24); // giaddr, chaddr
    dv.setUint32(236, MAGIC_COOKIE);
    let i = OPTIONS_AT;
    const opt = (code: number, ...bytes: number[]) => {
      out.set([code, bytes.length, ...bytes], i);
      i += 2 + bytes.length;
    };
    const ip4 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
    opt(OPT_MSG_TYPE, type);
    opt(OPT_SERVER_ID, ...ip4(this.serverIp));
    if (type !== DHCPNAK) {
      const { seconds, t1 = Math.floor(seconds / 2), t2 = Math.floor((seconds * 7) / 8) } = this.lease;
      opt(OPT_LEASE, ...ip4(seconds));
      opt(OPT_T1, ...ip4(t1));
      opt(OPT_T2, ...ip4(t2));
      opt(OPT_SUBNET, ...ip4(this.lan.mask));
      opt(OPT_ROUTER, ...ip4(this.lan.gateway));
      opt(OPT_DNS, ...ip4(this.lan.dns));
    }
    out[i] = OPT_END;
    return out;
  }
}
