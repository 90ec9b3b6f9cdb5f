// Intel HEX parsing: records, addresses, checksums and the errors a bad file gets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HexFormatError, parseIntelHex } from './hex.ts';

// Two data records (one at 0x0010), an extended-linear record and EOF; checksums by hand.
const GOOD = [':0400000001020304F2', ':02001000AABB89', ':020000040000FA', ':00000001FF'].join('\n');

test('parses data records at their addresses and leaves the rest erased', () => {
  const { flash, size } = parseIntelHex(GOOD);
  assert.deepEqual([...flash.subarray(0, 5)], [1, 2, 3, 4, 0xff]);
  assert.deepEqual([...flash.subarray(0x10, 0x12)], [0xaa, 0xbb]);
  assert.equal(size, 0x12);
});

test('a bad checksum is an error naming the line and the expected value', () => {
  const bad = GOOD.replace(':02001000AABB89', ':02001000AABB88');
  assert.throws(
    () => parseIntelHex(bad, 'fw.hex'),
    (e: Error) => {
      assert.ok(e instanceof HexFormatError);
      assert.equal(e.line, 2);
      assert.match(e.message, /^fw\.hex:2: bad checksum 0x88, expected 0x89/);
      return true;
    },
  );
});

test('malformed records are rejected with their line number', () => {
  const cases: [string, RegExp][] = [
    ['0400000001020304F2', /does not start with ':'/],
    [':0400000001020304F', /even number of hex digits/],
    [':0500000001020304F1', /byte count 5 does not match/],
    [':0400000601020304EC', /unknown record type 0x06/],
    [':04800000010203047200', /byte count|outside/],
  ];
  for (const [rec, msg] of cases) {
    assert.throws(
      () => parseIntelHex(`${rec}\n:00000001FF`),
      (e: Error) => e instanceof HexFormatError && e.line === 1 && msg.test(e.message),
      rec,
    );
  }
  assert.throws(() => parseIntelHex(':0400000001020304F2'), /missing end-of-file/);
  assert.throws(() => parseIntelHex(`${GOOD}\n:0400000001020304F2`), /data after the end-of-file/);
});

test('data beyond the 32 KB flash is an error', () => {
  // 0x8000 + 1 byte via an extended segment address of 0x0800 (<<4 = 0x8000).
  const hex = ':020000020800F4\n:0100000055AA\n:00000001FF';
  assert.throws(() => parseIntelHex(hex), /outside the 32768-byte flash/);
});
