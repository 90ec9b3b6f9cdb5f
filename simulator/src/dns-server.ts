// The DNS server on the simulated LAN (RFC 1035). Answers A queries from its
// own name table only: the host's resolver is never consulted, so tests see
// the same answers on every machine.
import { parseIp } from './netmap.ts';

export const TYPE_A = 1,
  CLASS_IN = 1;
export const RCODE_OK = 0,
  RCODE_FORMERR = 1,
  RCODE_NXDOMAIN = 3,
  RCODE_NOTIMP = 4;
const HEADER = 12;
const FLAG_QR = 0x8000,
  FLAG_OPCODE = 0x7800,
  FLAG_RD = 0x0100,
  FLAG_RA = 0x0080;
const MAX_NAME = 255;

export interface DnsStats {
  queries: number;
  answered: number;
  nxdomain: number;
  errors: number;
}

interface Question {
  name: string;
  type: number;
  cls: number;
  end: number;
}

/** Reads the first question; undefined if it runs past the packet or uses compression (queries never do). */
function readQuestion(p: Uint8Array): Question | undefined {
  const labels: string[] = [];
  let i = HEADER,
    total = 0;
  for (;;) {
    if (i >= p.length) return undefined;
    const len = p[i++];
    if (len === 0) break;
    if (len > 63 || i + len > p.length) return undefined;
    total += len + 1;
    if (total > MAX_NAME) return undefined;
    labels.push(Buffer.from(p.subarray(i, i + len)).toString('latin1'));
    i += len;
  }
  if (i + 4 > p.length) return undefined;
  return {
    name: labels.join('.').toLowerCase(),
    type: (p[i] << 8) | p[i + 1],
    cls: (p[i + 2] << 8) | p[i + 3],
    end: i + 4,
  };
}

export class DnsServer {
  ttl = 300;
  /** Stop answering (queries time out in the firmware). */
  silent = false;
  readonly stats: DnsStats = { queries: 0, answered: 0, nxdomain: 0, errors: 0 };
  private readonly names = new Map<string, number>();

  /** name resolves to the simulated IPv4 address ip. */
  add(name: string, ip: string): void {
    this.names.set(name.toLowerCase().replace(/\.$/, ''), parseIp(ip));
  }

  remove(name: string): void {
    this.names.delete(name.toLowerCase().replace(/\.$/, ''));
  }

  handle(p: Uint8Array): Uint8Array | null {
    if (p.length < HEADER) {
      this.stats.errors++;
      return null;
    }
    const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
    const flags = dv.getUint16(2);
    if (flags & FLAG_QR) {
      this.stats.errors++;
      return null;
    } // a response, not a query
    this.stats.queries++;
    if (this.silent) return null;
    const q = dv.getUint16(4) >= 1 ? readQuestion(p) : undefined;
    if (flags & FLAG_OPCODE) return this.reply(p, flags, RCODE_NOTIMP, q);
    if (!q) {
      this.stats.errors++;
      return this.reply(p, flags, RCODE_FORMERR, undefined);
    }
    const ip = this.names.get(q.name);
    if (ip === undefined) {
      this.stats.nxdomain++;
      return this.reply(p, flags, RCODE_NXDOMAIN, q);
    }
    this.stats.answered++;
    return this.reply(p, flags, RCODE_OK, q, q.type === TYPE_A && q.cls === CLASS_IN ? ip : undefined);
  }

  private reply(p: Uint8Array, flags: number, rcode: number, q: Question | undefined, ip?: number): Uint8Array {
    const question = q ? p.subarray(HEADER, q.end) : new Uint8Array(0);
    const answer = ip === undefined ? 0 : 16;
    const out = new Uint8Array(HEADER + question.length + answer);
    const dv = new DataView(out.buffer);
    out.set(p.subarray(0, 2)); // id
    dv.setUint16(2, FLAG_QR | (flags & (FLAG_OPCODE | FLAG_RD)) | FLAG_RA | rcode);
    dv.setUint16(4, q ? 1 : 0);
    dv.setUint16(6, answer ? 1 : 0);
    out.set(question, HEADER);
    if (ip !== undefined) {
      const a = HEADER + question.length;
      dv.setUint16(a, 0xc000 | HEADER); // name: pointer to the question
      dv.setUint16(a + 2, TYPE_A);
      dv.setUint16(a + 4, CLASS_IN);
      dv.setUint32(a + 6, this.ttl);
      dv.setUint16(a + 10, 4);
      dv.setUint32(a + 12, ip);
    }
    return out;
  }
}
