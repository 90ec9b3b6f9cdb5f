// Settings: C GET/SET/LIST/RESET, validation, persistence across resets, and
// recovery from a blank, corrupt or old-layout EEPROM.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bootHostMode, reply, BANNER_RE, type HostModeBoard } from '../support/boot.ts';
import { eepromLayout } from '../support/firmware-source.ts';

// Read from firmware/src/config.h, so a layout change cannot leave the test poking the wrong bytes.
const EEPROM = eepromLayout();

const DEFAULTS: Record<string, string> = {
  mode: 'host',
  'net.dhcp': '1',
  'net.ip': '192.168.1.177',
  'net.mask': '255.255.255.0',
  'net.gw': '192.168.1.1',
  'net.dns': '192.168.1.1',
  'net.mac': 'DE:AD:BE:EF:FE:ED',
  'srv.ip': '192.168.1.1',
  'srv.port': '44322',
  'srv.api': 'auto',
  'srv.hostspec': 'localhost',
  iface: 'ppp0',
  'm.in': 'network.interface.in.bytes',
  'm.out': 'network.interface.out.bytes',
  'm.lat': 'shping.time.real',
  'm.latinst': 'ping',
  poll: '2',
  units: 'bits',
  'cap.down': '20000000',
  'cap.up': '1000000',
  'host.timeout': '10',
  'host.fallback': '1',
  backlight: 'on',
  'lcd.size': '16x2',
};

// Valid values for every key except mode (switching modes is tested elsewhere).
const VALID: [string, string][] = [
  ['net.dhcp', '0'],
  ['net.ip', '10.0.0.2'],
  ['net.mask', '255.255.0.0'],
  ['net.gw', '10.0.0.1'],
  ['net.dns', '9.9.9.9'],
  ['net.mac', '02:00:0a:Bc:00:01'],
  ['srv.ip', '127.0.0.1'],
  ['srv.port', '65535'],
  ['srv.api', 'pmwebd'],
  ['srv.hostspec', 'pcp://h-1:44321'],
  ['iface', 'eth0'],
  ['m.in', 'network.interface.in.packets'],
  ['m.out', 'a_b.c'],
  ['m.lat', ''],
  ['m.latinst', ''],
  ['poll', '3600'],
  ['units', 'bytes'],
  ['cap.down', '4294967295'],
  ['cap.up', '0'],
  ['host.timeout', '1'],
  ['host.fallback', '0'],
  ['backlight', 'alert-blink'],
  ['lcd.size', '20x4'],
  ['lcd.size', '16x2'],
];

const INVALID: [string, string][] = [
  ['net.dhcp', '2'],
  ['net.dhcp', ''],
  ['net.ip', '256.0.0.1'],
  ['net.ip', '1.2.3'],
  ['net.ip', '1.2.3.4.5'],
  ['net.ip', '1..2.3'],
  ['net.ip', '01234.1.1.1'],
  ['net.mac', 'DE:AD:BE:EF:FE'],
  ['net.mac', 'DE:AD:BE:EF:FE:EG'],
  ['net.mac', 'DEAD.BEEF.FEED'],
  ['srv.port', '0'],
  ['srv.port', '65536'],
  ['srv.port', '-1'],
  ['srv.port', '80x'],
  ['srv.api', 'AUTO'],
  ['iface', ''],
  ['iface', 'x'.repeat(16)],
  ['iface', 'a b'],
  ['m.in', 'a-b'],
  ['m.in', 'x'.repeat(40)],
  ['m.in', ''],
  ['poll', '0'],
  ['poll', '3601'],
  ['units', 'bit'],
  ['cap.down', '4294967296'],
  ['cap.down', '9999999999'],
  ['cap.up', '1e6'],
  ['host.timeout', '0'],
  ['backlight', 'blink'],
  ['mode', 'lcd'],
  ['lcd.size', '16X2'],
  ['lcd.size', '40x2'],
  ['lcd.size', ''],
];

// The settings without the read-only save count (see saves()).
async function list(h: HostModeBoard): Promise<Record<string, string>> {
  const lines = await h.command('C LIST');
  const cfg = lines.filter((l) => l.startsWith('CFG '));
  assert.equal(reply(lines), `OK ${cfg.length}`);
  const all = Object.fromEntries(
    cfg.map((l) => {
      const m = /^CFG ([^=]+)=(.*)$/.exec(l)!;
      return [m[1], m[2]];
    }),
  );
  assert.match(all.saves, /^\d+$/, 'C LIST reports the save count');
  delete all.saves;
  return all;
}

async function saves(h: HostModeBoard): Promise<number> {
  return Number(/^OK saves=(\d+)$/.exec(reply(await h.command('C GET saves')))![1]);
}

// The store's slots (config.h): header, Config, the sequence number twice.
const SLOT_SIZE = EEPROM.configAt - EEPROM.base + EEPROM.configSize + 8;
const SLOTS = 4;
const inEverySlot = (at: number) => Array.from({ length: SLOTS }, (_, i) => at + i * SLOT_SIZE);
const HOLDOFF_MS = 60_000;

async function rebootBanner(h: HostModeBoard, how: () => void): Promise<RegExpExecArray> {
  const from = h.lines.length;
  how();
  return BANNER_RE.exec(await h.waitLine(BANNER_RE, 3000, from))!;
}

describe('settings', () => {
  let h: HostModeBoard;
  before(async () => {
    h = await bootHostMode();
  });
  after(async () => {
    assert.deepEqual(h.board.lcd.violations, []);
    await h.close();
  });

  test('C LIST gives every documented key with its default, C GET agrees', async () => {
    assert.deepEqual(await list(h), DEFAULTS);
    for (const [k, v] of Object.entries(DEFAULTS)) assert.equal(reply(await h.command(`C GET ${k}`)), `OK ${k}=${v}`);
  });

  test('the EEPROM holds the header and settings block where config.h puts them', async () => {
    const ee = h.board.eepromMemory.memory;
    const u16 = (at: number) => ee[at] | (ee[at + 1] << 8);
    assert.equal(u16(EEPROM.magicAt), EEPROM.magic);
    assert.equal(ee[EEPROM.layoutAt], EEPROM.layoutVersion);
    assert.equal(u16(EEPROM.lengthAt), EEPROM.configSize, 'sizeof(Config) as parsed from config.h');
    const port = EEPROM.configFields.get('srvPort')!;
    assert.equal(u16(port.at), Number(DEFAULTS['srv.port']));
    const iface = EEPROM.configFields.get('iface')!;
    assert.equal(
      Buffer.from(ee.subarray(iface.at, iface.at + iface.size))
        .toString('latin1')
        .replace(/\0.*$/s, ''),
      DEFAULTS.iface,
    );
  });

  test('C SET validates, stores and reads back every kind of value', async () => {
    for (const [k, v] of VALID) {
      assert.equal(reply(await h.command(`C SET ${k} ${v}`)), 'OK', `${k} ${v}`);
      const want = k === 'net.mac' ? v.toUpperCase() : v;
      assert.equal(reply(await h.command(`C GET ${k}`)), `OK ${k}=${want}`);
    }
  });

  test('bad values are refused and leave the setting as it was', async () => {
    const before = await list(h);
    for (const [k, v] of INVALID)
      assert.equal(reply(await h.command(`C SET ${k} ${v}`)), 'ERR VAL bad value', `${k} ${JSON.stringify(v)}`);
    assert.deepEqual(await list(h), before);
  });

  test('unknown keys and malformed C commands', async () => {
    assert.equal(reply(await h.command('C GET nope')), 'ERR KEY unknown setting');
    assert.equal(reply(await h.command('C SET nope 1')), 'ERR KEY unknown setting');
    assert.equal(reply(await h.command('C SET poll')), 'ERR ARG missing value');
    assert.equal(reply(await h.command('C GET')), 'ERR ARG bad arguments');
    assert.equal(reply(await h.command('C list')), 'ERR ARG bad arguments');
  });

  test('settings survive an external reset and, once the hold-off has passed, a power cycle', async () => {
    const saved = await list(h);
    assert.notDeepEqual(saved, DEFAULTS);
    const n = await saves(h);
    // Changes within a minute of a save wait in RAM, which an external reset keeps.
    let b = await rebootBanner(h, () => h.board.resetExternal());
    assert.deepEqual([b[2], b[3]], ['external', 'ok']);
    assert.deepEqual(await list(h), saved);
    await h.board.run(HOLDOFF_MS + 1000);
    assert.equal(await saves(h), n + 1, 'the waiting changes were stored as one save');
    b = await rebootBanner(h, () => h.board.powerCycle());
    assert.deepEqual([b[2], b[3]], ['power', 'ok']);
    assert.deepEqual(await list(h), saved);
  });

  test('a power cut within the hold-off leaves the settings of the last save, complete', async () => {
    await h.board.run(HOLDOFF_MS + 1000);
    const n = await saves(h);
    assert.equal(reply(await h.command('C SET poll 11')), 'OK');
    assert.equal(await saves(h), n + 1, 'the first change after a quiet minute is stored at once');
    const stored = await list(h);
    assert.equal(reply(await h.command('C SET poll 12')), 'OK');
    assert.equal(reply(await h.command('C SET iface eth9')), 'OK');
    assert.equal(await saves(h), n + 1, 'changes within the hold-off wait');
    await h.board.run(HOLDOFF_MS / 2);
    const b = await rebootBanner(h, () => h.board.powerCycle());
    assert.equal(b[3], 'ok');
    assert.deepEqual(await list(h), stored);
  });

  test('saves is read-only', async () => {
    const n = await saves(h);
    assert.equal(reply(await h.command('C SET saves 0')), 'ERR VAL bad value');
    assert.equal(await saves(h), n);
  });

  test('C RESET restores and stores the defaults', async () => {
    assert.equal(reply(await h.command('C RESET')), 'OK');
    assert.deepEqual(await list(h), DEFAULTS);
    await rebootBanner(h, () => h.board.resetExternal());
    assert.deepEqual(await list(h), DEFAULTS);
  });

  test('a corrupt newest slot falls back to the save before it', async () => {
    await h.board.run(HOLDOFF_MS + 1000);
    assert.equal(reply(await h.command('C SET poll 8')), 'OK');
    const before = await list(h);
    await h.board.run(HOLDOFF_MS + 1000);
    assert.equal(reply(await h.command('C SET poll 9')), 'OK');
    const newest = (await saves(h)) % SLOTS; // blank EEPROM: save 1 went to slot 0
    h.board.eepromMemory.memory[inEverySlot(EEPROM.configFields.get('mOut')!.at + 3)[(newest + SLOTS - 1) % SLOTS]] ^=
      0x5a;
    const b = await rebootBanner(h, () => h.board.powerCycle());
    assert.equal(b[3], 'ok');
    assert.deepEqual(await list(h), before);
  });

  test('a corrupt EEPROM falls back to the defaults, says so once, and stores them', async () => {
    assert.equal(reply(await h.command('C SET poll 7')), 'OK');
    for (const at of inEverySlot(EEPROM.configFields.get('mOut')!.at + 3)) h.board.eepromMemory.memory[at] ^= 0x5a;
    let b = await rebootBanner(h, () => h.board.resetExternal());
    assert.equal(b[3], 'defaults');
    assert.deepEqual(await list(h), DEFAULTS);
    b = await rebootBanner(h, () => h.board.resetExternal());
    assert.equal(b[3], 'ok');
  });

  test('an older layout version is reported as cfg=old', async () => {
    for (const at of inEverySlot(EEPROM.layoutAt)) h.board.eepromMemory.memory[at] = EEPROM.layoutVersion - 1;
    const b = await rebootBanner(h, () => h.board.powerCycle());
    assert.equal(b[3], 'old');
    assert.deepEqual(await list(h), DEFAULTS);
  });

  test('settings stored by the firmware before lcd.size (layout 1) are kept, then stored as layout 2', async () => {
    // Layout 1 is layout 2 without the last byte (lcdSize), in slots one byte shorter.
    h.board.eepromMemory.memory.fill(0xff);
    await rebootBanner(h, () => h.board.powerCycle());
    const ee = h.board.eepromMemory.memory;
    const v1Size = EEPROM.configSize - 1;
    const config = ee.slice(EEPROM.configAt, EEPROM.configAt + v1Size);
    const iface = EEPROM.configFields.get('iface')!;
    config.fill(0, iface.at - EEPROM.configAt, iface.at - EEPROM.configAt + iface.size);
    config.set(Buffer.from('eth9', 'latin1'), iface.at - EEPROM.configAt);
    ee.fill(0xff);
    const v1SlotSize = SLOT_SIZE - 1;
    const slot = 2,
      seq = 7,
      at = EEPROM.base + slot * v1SlotSize;
    const u16 = (v: number) => [v & 0xff, v >> 8];
    const u32inv = (v: number) => {
      const x = ~v >>> 0;
      return [x & 0xff, (x >> 8) & 0xff, (x >> 16) & 0xff, x >>> 24];
    };
    ee.set([...u16(EEPROM.magic), 1, ...u16(v1Size), ...u16(crcMcrf4xx(config))], at);
    ee.set(config, EEPROM.configAt - EEPROM.base + at);
    ee.set([...u32inv(seq), ...u32inv(seq)], EEPROM.configAt - EEPROM.base + at + v1Size);
    let b = await rebootBanner(h, () => h.board.powerCycle());
    assert.equal(b[3], 'ok');
    assert.equal(reply(await h.command('C GET iface')), 'OK iface=eth9');
    assert.equal(reply(await h.command('C GET lcd.size')), 'OK lcd.size=16x2');
    assert.equal(await saves(h), seq);
    assert.equal(reply(await h.command('C SET lcd.size 16x4')), 'OK');
    assert.equal(await saves(h), seq + 1, 'stored at once: the first save after power-on');
    // Written as layout 2 into the slot after the old one, which keeps its bytes.
    assert.equal(ee[EEPROM.layoutAt + (slot + 1) * SLOT_SIZE], EEPROM.layoutVersion);
    assert.equal(ee[at + EEPROM.layoutAt - EEPROM.base], 1);
    b = await rebootBanner(h, () => h.board.powerCycle());
    assert.equal(b[3], 'ok');
    assert.match(b[0], / lcd=16x4 /);
    assert.equal(reply(await h.command('C GET iface')), 'OK iface=eth9');
    assert.equal(reply(await h.command('C RESET')), 'OK');
  });

  test('the first save after loading layout-1 settings from slot 0 is written, whatever byte follows them', async () => {
    // In slot 0 a layout-1 block lines up with layout 2 but for the last byte, which is the
    // low byte of the stored sequence; with seq 0xFD it reads 2, the code of 16x4.
    h.board.eepromMemory.memory.fill(0xff);
    await rebootBanner(h, () => h.board.powerCycle());
    const ee = h.board.eepromMemory.memory;
    const v1Size = EEPROM.configSize - 1;
    const config = ee.slice(EEPROM.configAt, EEPROM.configAt + v1Size);
    const seq = 0xfd;
    const u16 = (v: number) => [v & 0xff, v >> 8];
    const inv = ~seq >>> 0;
    const u32inv = [inv & 0xff, (inv >> 8) & 0xff, (inv >> 16) & 0xff, inv >>> 24];
    ee.fill(0xff);
    ee.set([...u16(EEPROM.magic), 1, ...u16(v1Size), ...u16(crcMcrf4xx(config))], EEPROM.base);
    ee.set(config, EEPROM.configAt);
    ee.set([...u32inv, ...u32inv], EEPROM.configAt + v1Size);
    await rebootBanner(h, () => h.board.powerCycle());
    assert.equal(reply(await h.command('C SET lcd.size 16x4')), 'OK');
    assert.equal(await saves(h), seq + 1, 'written, not taken for the stored settings');
    const b = await rebootBanner(h, () => h.board.powerCycle());
    assert.match(b[0], / lcd=16x4 /);
    assert.equal(reply(await h.command('C RESET')), 'OK');
  });

  test('a blank EEPROM gives cfg=defaults', async () => {
    h.board.eepromMemory.memory.fill(0xff);
    const b = await rebootBanner(h, () => h.board.powerCycle());
    assert.equal(b[3], 'defaults');
    assert.deepEqual(await list(h), DEFAULTS);
  });
});

/** CRC-16/MCRF4XX (avr-libc _crc_ccitt_update), as the store's header holds it. */
function crcMcrf4xx(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0x8408 : crc >>> 1;
  }
  return crc;
}
