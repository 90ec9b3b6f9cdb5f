// Finding the board: a configured path wins, then /dev/serial/by-id (stable names,
// and no udevadm needed), then the binding's port list filtered by USB ids.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BindingInterface, PortInfo } from '@serialport/bindings-interface';

/** Uno R3 (2341:0043), Uno (2341:0001), Arduino.org Uno (2a03:0043), CH340 clones (1a86:7523). */
export const USB_IDS = ['2341:0043', '2341:0001', '2a03:0043', '1a86:7523'];
const BY_ID_DIR = '/dev/serial/by-id';

export function isBoard(p: Pick<PortInfo, 'vendorId' | 'productId'>): boolean {
  return USB_IDS.includes(`${p.vendorId ?? ''}:${p.productId ?? ''}`.toLowerCase());
}

export function byIdCandidates(dir = BY_ID_DIR): string[] {
  try {
    return readdirSync(dir)
      .filter((n) => /arduino|1a86|ch340|usb-2341|usb-2a03/i.test(n))
      .sort()
      .map((n) => join(dir, n));
  } catch {
    return [];
  }
}

/** Returns a path to open, or null when no board is connected. */
export async function findBoard(
  binding: BindingInterface,
  configured: string | null,
  byIdDir = BY_ID_DIR,
): Promise<string | null> {
  if (configured) return configured;
  const byId = byIdCandidates(byIdDir);
  if (byId.length > 0) return byId[0];
  try {
    const ports = await binding.list();
    return ports.find(isBoard)?.path ?? null;
  } catch {
    return null; // list() needs udevadm, which minimal systems lack
  }
}
