// The Ethernet shields a simulated board can be fitted with: an Arduino
// Ethernet shield with a WIZnet W5100 (the one the firmware drives) or one
// with a W5500 (Ethernet Shield 2 and clones). Both sit on the SPI with chip
// select D10 and carry their sockets to loopback through the same bridge.
import type { LanOptions } from './netmap.ts';
import type { LanServices } from './wiznet-chip.ts';
import type { WiznetConfig, WiznetHost } from './wiznet-host.ts';
import { W5100 } from './w5100.ts';
import { W5500 } from './w5500.ts';

export const SHIELDS = ['w5100', 'w5500'] as const;
export type ShieldName = (typeof SHIELDS)[number];
export type Shield = W5100 | W5500;

/** Fits the named shield to host (a Board or a bare avr8js harness). */
export function fitShield(
  host: WiznetHost,
  name: ShieldName,
  config: Partial<WiznetConfig> = {},
  lan: Partial<LanOptions> | LanServices = {},
): Shield {
  return name === 'w5500' ? new W5500(host, config, lan) : new W5100(host, config, lan);
}

/** One line per socket that did anything: bytes, connects and the commands it was given. */
export function socketStats(chip: Shield): string {
  const lines = chip.stats
    .map((s, n) => {
      const cmds = Object.entries(s.commands)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      return cmds
        ? `[sim] ${chip.name} socket ${n}: in ${s.bytesIn} B, out ${s.bytesOut} B, connects ${s.connects}, ${cmds}`
        : '';
    })
    .filter(Boolean);
  return lines.length ? lines.join('\n') : `[sim] ${chip.name}: no socket was used`;
}
