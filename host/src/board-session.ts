// A short one-off conversation with the board (pmlcd config ...): open, handshake,
// run some commands, close. The daemon uses SerialLink instead.
import { SerialPortStream } from '@serialport/stream';
import type { BindingInterface } from '@serialport/bindings-interface';
import { ProtocolClient, type Banner } from './protocol.ts';

export async function withBoardSession<T>(
  binding: BindingInterface,
  path: string,
  fn: (client: ProtocolClient, banner: Banner) => Promise<T>,
  opts: { bannerTimeoutMs?: number; replyTimeoutMs?: number } = {},
): Promise<T> {
  const port = new SerialPortStream({ binding, path, baudRate: 115200, autoOpen: false });
  port.on('error', () => {}); // surfaced through the client's timeouts instead
  await new Promise<void>((resolve, reject) =>
    port.open((e) => (e ? reject(new Error(`cannot open ${path}: ${e.message}`)) : resolve())),
  );
  const client = new ProtocolClient((s) => port.write(s, 'latin1'), opts.replyTimeoutMs ?? 2000);
  port.on('data', (b: Buffer) => client.feed(b));
  port.once('close', () => client.close());
  try {
    const banner = await client.handshake(opts.bannerTimeoutMs ?? 3000);
    return await fn(client, banner);
  } finally {
    client.close();
    if (port.isOpen) {
      await new Promise<void>((r) => port.drain(() => r()));
      await new Promise<void>((r) => port.close(() => r()));
    }
  }
}

/** `C LIST` as key -> value. */
export async function listSettings(client: ProtocolClient): Promise<Map<string, string>> {
  const r = await client.send('C LIST');
  const out = new Map<string, string>();
  for (const line of r.cfg) {
    const i = line.indexOf('=');
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}
