// npm run build:firmware [-- test-firmware-name ...]
import { buildMainFirmware, buildTestFirmware } from './avr-build.ts';
import { buildOptiboot } from './optiboot-build.ts';

const names = process.argv.slice(2);
try {
  const r = await buildMainFirmware();
  if (r.cached) console.log(`pmlcd: up to date, flash ${r.size.flash} B, static RAM ${r.size.ram} B -> ${r.hex}`);
  // The Uno's bootloader for the simulator (pmlcd-sim --bootloader, the flash tests).
  const ob = await buildOptiboot();
  if (!ob.cached) console.log(`optiboot: ${ob.bytes} B -> ${ob.hex}`);
  for (const n of names) {
    const t = await buildTestFirmware(n, [], false);
    if (t.cached) console.log(`${t.name}: up to date`);
  }
} catch (e) {
  console.error((e as Error).message);
  process.exit(1);
}
