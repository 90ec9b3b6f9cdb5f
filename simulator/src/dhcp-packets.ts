// Builds DHCP client messages (RFC 2131) the way a small firmware client does.
export const DISCOVER = 1,
  REQUEST = 3;

export function dhcpRequest(
  type: number,
  mac: number[],
  xid: number,
  opts: { requested?: number[]; serverId?: number[] } = {},
): Uint8Array {
  const p = new Uint8Array(300);
  const dv = new DataView(p.buffer);
  p.set([1, 1, 6, 0]);
  dv.setUint32(4, xid);
  dv.setUint16(10, 0x8000); // broadcast flag
  p.set(mac, 28);
  dv.setUint32(236, 0x63825363);
  let i = 240;
  const opt = (code: number, bytes: number[]) => {
    p.set([code, bytes.length, ...bytes], i);
    i += 2 + bytes.length;
  };
  opt(53, [type]);
  if (opts.requested) opt(50, opts.requested);
  if (opts.serverId) opt(54, opts.serverId);
  opt(55, [1, 3, 6]);
  p[i] = 255;
  return p;
}

/** Options of a reply as code -> bytes. */
export function dhcpOptions(p: Uint8Array): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (let i = 240; i < p.length && p[i] !== 255; ) {
    if (p[i] === 0) {
      i++;
      continue;
    }
    out.set(p[i], [...p.subarray(i + 2, i + 2 + p[i + 1])]);
    i += 2 + p[i + 1];
  }
  return out;
}

/** A DNS query for an A record. */
export function dnsQuery(id: number, name: string): Uint8Array {
  const labels = name.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]);
  return Uint8Array.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, 1, 0, 1]);
}
