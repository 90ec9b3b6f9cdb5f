import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AVRClock, AVRTWI, AVRTimer, AVRWatchdog, CPU, timer0Config, twiConfig, watchdogConfig } from 'avr8js';
import { cpuInternals, timerInternals, twiInternals, watchdogInternals } from './avr-internals.ts';

// The board reaches into these avr8js internals; this fails first if a release changes them.
test('avr8js internals the board relies on are where expected', () => {
  const cpu = new CPU(new Uint16Array(0x4000), 0x800);
  const c = cpuInternals(cpu);
  assert.equal(c.nextClockEvent, null);
  const cb = () => {};
  cpu.addClockEvent(cb, 10);
  const head = cpuInternals(cpu).nextClockEvent;
  assert.equal(head?.callback, cb);
  assert.equal(head?.cycles, 10);
  assert.equal(c.nextInterrupt, -1);

  const t = timerInternals(new AVRTimer(cpu, timer0Config));
  assert.equal(typeof t.count, 'function');
  assert.equal(t.TOP, 0xff);

  const wd = watchdogInternals(new AVRWatchdog(cpu, watchdogConfig, new AVRClock(cpu, 16e6)));
  assert.equal(wd.enabledValue, false);
  assert.equal(typeof wd.checkWatchdog, 'function');
  assert.throws(() => watchdogInternals({} as AVRWatchdog), /internals changed/);

  // busy is set by a TWCR write with TWINT|TWEN (the step runs a cycle later) and gates later writes.
  const twi = new AVRTWI(cpu, twiConfig, 16e6);
  assert.equal(twiInternals(twi).busy, false);
  let starts = 0;
  twi.eventHandler = {
    start: () => {
      starts++;
    },
    stop() {},
    connectToSlave() {},
    writeByte() {},
    readByte() {},
  };
  cpu.writeData(twiConfig.TWCR, 0xa4); // TWINT | TWSTA | TWEN
  cpu.cycles += 1;
  cpu.tick();
  assert.equal(starts, 1);
  assert.equal(twiInternals(twi).busy, true);
  assert.throws(() => twiInternals({} as AVRTWI), /internals changed/);
});
