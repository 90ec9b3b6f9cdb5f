// The ATmega328P's fuse and lock bytes as the simulated board uses them: the
// reset delays the low fuse selects, the reset vector and boot-section size the
// high fuse selects, and the boot-lock bits SPM obeys. Values are the datasheet's
// (Atmel 7810C "ATmega328P", section and table numbers of that edition); a bit is
// "programmed" when it reads 0.
//
//   const f = resolveFuses({ low: 0xff }, true);   // the Uno's fuses, with a bootloader
//   startupDelay(f.low, CPU_HZ)                    // cycles held in reset after power-on / other resets
//   bootStartByte(f.high), resetVectorByte(f.high) // 0x7e00, 0x7e00 (BOOTRST programmed)

export interface Fuses {
  low: number;
  high: number;
  extended: number;
  lock: number;
}

/**
 * The Uno's bytes (Arduino boards.txt uno.bootloader.*): low 0xFF (low-power crystal,
 * slowly rising power: 16K CK + 14 CK + 65 ms), high 0xDE (512-byte boot section,
 * BOOTRST programmed), extended 0xFD (BOD 2.7 V), lock 0x0F (BLB1 mode 3: SPM may not
 * write the boot section).
 */
export const UNO_FUSES: Readonly<Fuses> = { low: 0xff, high: 0xde, extended: 0xfd, lock: 0x0f };

const HIGH_BOOTRST = 0x01;

/**
 * The fuses of a board: the Uno's, except that without a bootloader BOOTRST is left
 * unprogrammed (high 0xDF) so the reset vector is 0, as on a board flashed over ISP
 * with no bootloader. Explicit values win.
 */
export function resolveFuses(given: Partial<Fuses> | undefined, bootloader: boolean): Fuses {
  const base = { ...UNO_FUSES, high: bootloader ? UNO_FUSES.high : UNO_FUSES.high | HIGH_BOOTRST };
  return { ...base, ...given };
}

export interface StartupDelay {
  /** Oscillator start-up after power-on (CK). */
  startupCk: number;
  /** The reset time-out t_TOUT: 14 CK plus the watchdog-oscillator delay (ms). */
  resetCk: number;
  resetMs: number;
}

/**
 * Datasheet §8.3 Low Power Crystal Oscillator, Table 8-4:
 * start-up times selected by CKSEL0 and SUT1:0 when CKSEL3:1 is 100-111.
 */
const LOW_POWER_CRYSTAL: Record<number, StartupDelay> = {
  0: { startupCk: 258, resetCk: 14, resetMs: 4.1 }, // ceramic resonator, fast rising power
  1: { startupCk: 258, resetCk: 14, resetMs: 65 }, // ceramic resonator, slowly rising power
  2: { startupCk: 1024, resetCk: 14, resetMs: 0 }, // ceramic resonator, BOD enabled
  3: { startupCk: 1024, resetCk: 14, resetMs: 4.1 }, // ceramic resonator, fast rising power
  4: { startupCk: 1024, resetCk: 14, resetMs: 65 }, // ceramic resonator, slowly rising power
  5: { startupCk: 16384, resetCk: 14, resetMs: 0 }, // crystal, BOD enabled
  6: { startupCk: 16384, resetCk: 14, resetMs: 4.1 }, // crystal, fast rising power
  7: { startupCk: 16384, resetCk: 14, resetMs: 65 }, // crystal, slowly rising power (the Uno)
};

/** The start-up delays the low fuse selects; only the crystal sources a 16 MHz Uno can use are modelled. */
export function startupDelay(low: number): StartupDelay {
  const cksel = low & 0x0f,
    sut = (low >> 4) & 0x03;
  if (!(low & 0x80))
    throw new Error(`low fuse 0x${hex(low)}: CKDIV8 programmed (clock / 8) is not modelled; the board runs at 16 MHz`);
  if (cksel >> 1 < 0b100)
    throw new Error(
      `low fuse 0x${hex(low)}: CKSEL 0x${cksel.toString(16)} is not a low-power crystal source (CKSEL3:1 = 100-111); only those are modelled`,
    );
  return LOW_POWER_CRYSTAL[((cksel & 1) << 2) | sut];
}

/**
 * Cycles the chip stays in reset. §8.2: "the start-up sequence for the clock includes both the
 * time-out delay and the start-up time when the device starts up from reset"; the oscillator
 * only has to start after power-on, other resets wait t_TOUT (§10.2, Figures 10-3..10-7).
 */
export function resetHoldCycles(d: StartupDelay, cpuHz: number, powerOn: boolean): number {
  return (powerOn ? d.startupCk : 0) + d.resetCk + Math.round((d.resetMs * cpuHz) / 1000);
}

/** Datasheet §26.8.14 Table 26-7 (Boot Size Configuration): BOOTSZ1:0 = high fuse bits 2:1. */
export function bootStartByte(high: number): number {
  const words = [2048, 1024, 512, 256][(high >> 1) & 0x03];
  return 0x8000 - words * 2;
}

/** BOOTRST programmed (0): the reset vector is the boot section's start, else 0 (§26.8.14, §11.1 Table 11-2). */
export function resetVectorByte(high: number): number {
  return high & HIGH_BOOTRST ? 0 : bootStartByte(high);
}

/**
 * Boot-lock bits BLB12:11 (lock bits 5:4), datasheet §26.5 Table 26-3: mode 1 (11) no restriction;
 * modes 2 (10) and 3 (00) forbid SPM writes to the boot section; mode 4 (01) too.
 */
export function spmMayWriteBootSection(lock: number): boolean {
  return ((lock >> 4) & 0x03) === 0x03;
}

/** Boot-lock bits BLB02:01 (lock bits 3:2), §26.5 Table 26-2: any mode but 1 forbids SPM writes to the application section. */
export function spmMayWriteAppSection(lock: number): boolean {
  return ((lock >> 2) & 0x03) === 0x03;
}

function hex(b: number) {
  return b.toString(16).padStart(2, '0');
}
