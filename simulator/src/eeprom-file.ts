// EEPROM backend that can persist to a file, so settings survive across board
// instances (and CLI runs) like they survive power cycles on the real chip.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { EEPROMBackend } from 'avr8js';

export class FileEEPROM implements EEPROMBackend {
  readonly memory: Uint8Array;
  private dirty = false;

  constructor(
    size: number,
    readonly path?: string,
  ) {
    this.memory = new Uint8Array(size).fill(0xff);
    if (path && existsSync(path)) {
      const saved = readFileSync(path);
      if (saved.length !== size) throw new Error(`${path}: EEPROM image is ${saved.length} bytes, expected ${size}`);
      this.memory.set(saved);
    }
  }

  readMemory(addr: number): number {
    return this.memory[addr];
  }

  // Programming can only clear bits; erasing sets the byte to 0xFF (datasheet 8.4).
  writeMemory(addr: number, value: number): void {
    this.memory[addr] &= value;
    this.dirty = true;
  }

  eraseMemory(addr: number): void {
    this.memory[addr] = 0xff;
    this.dirty = true;
  }

  /** Writes the image if it changed; atomic so a crash never leaves half a file. */
  save(): void {
    if (!this.path || !this.dirty) return;
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, this.memory);
    renameSync(tmp, this.path);
    this.dirty = false;
  }
}
