// The long lockstep run: the fast dispatch against avr8js (test/support/lockstep.ts)
// for PMLCD_LOCKSTEP_INSTRUCTIONS instructions in all (default 10^9): 95% in seeded
// random streams of 10^7 instructions each (seeds from PMLCD_LOCKSTEP_SEED, default
// 1000), 5% shared by the firmwares (every test firmware, the product firmware, the
// SPM program).
// Prints one JSON line per stream or firmware and a total; exits 1 on any divergence.
//   npx tsx scripts/lockstep-soak.ts
import { productFirmware, testFirmware } from '../test/support/boot.ts';
import { boardLockstep, FIRMWARE_SESSIONS, randomLockstep, REWRITE_AND_CALL } from '../test/support/lockstep.ts';

const TOTAL = Number(process.env.PMLCD_LOCKSTEP_INSTRUCTIONS ?? 1e9);
const STREAM = Math.min(10_000_000, TOTAL);
/** First seed of the random streams (PMLCD_LOCKSTEP_SEED), so that runs side by side cover different ones. */
const SEED = Number(process.env.PMLCD_LOCKSTEP_SEED ?? 1000);
const firmwareShare = Math.round(TOTAL * 0.05);
const t0 = performance.now();
let instructions = 0,
  divergences = 0;
const report = (what: string, n: number, div: string[], extra: Record<string, unknown> = {}) => {
  instructions += n;
  divergences += div.length;
  console.log(
    JSON.stringify({
      what,
      instructions: n,
      divergences: div.length,
      first: div[0],
      total: instructions,
      s: Math.round((performance.now() - t0) / 1000),
      ...extra,
    }),
  );
};

const per = Math.round(firmwareShare / (FIRMWARE_SESSIONS.length + 1));
for (const session of FIRMWARE_SESSIONS) {
  let hex: string;
  try {
    hex = (session.name === 'pmlcd' ? await productFirmware() : await testFirmware(session.name, session.extraSources))
      .hex;
  } catch (e) {
    console.log(
      JSON.stringify({ what: session.name, skipped: `build failed: ${(e as Error).message.split('\n')[0]}` }),
    );
    continue;
  }
  const r = boardLockstep({ board: { firmware: hex, ...session.board }, instructions: per, input: session.input });
  report(session.name, r.instructions, r.divergences, { ms: Math.round(r.fast.millis) });
  r.fast.shield?.dispose();
  r.reference.shield?.dispose();
}
// The SPM program halts after its second call; run it again until its share is done.
for (let done = 0; done < per; ) {
  const r = boardLockstep({
    board: { firmware: REWRITE_AND_CALL.app, bootloader: REWRITE_AND_CALL.boot },
    instructions: per - done,
    untilHalt: true,
  });
  report('spm-rewrite', r.instructions, r.divergences);
  done += r.instructions;
  if (r.instructions === 0) break;
}
for (let seed = SEED; instructions < TOTAL; seed++) {
  const r = randomLockstep({ seed, instructions: Math.min(STREAM, TOTAL - instructions) });
  report(`random seed ${seed}`, r.instructions, r.divergences, { forms: r.forms.size });
}
console.log(
  JSON.stringify({ name: 'lockstep.total', instructions, divergences, s: Math.round((performance.now() - t0) / 1000) }),
);
if (divergences) process.exitCode = 1;
