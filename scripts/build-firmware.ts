// npm run build:firmware [-- test-firmware-name ...]
import { buildMainFirmware, buildTestFirmware } from './avr-build.ts';

const names = process.argv.slice(2);
try {
  const r = await buildMainFirmware();
  if (r.cached) console.log(`pmlcd: up to date, flash ${r.size.flash} B, static RAM ${r.size.ram} B -> ${r.hex}`);
  for (const n of names) {
    const t = await buildTestFirmware(n, [], false);
    if (t.cached) console.log(`${t.name}: up to date`);
  }
} catch (e) {
  console.error((e as Error).message);
  process.exit(1);
}
