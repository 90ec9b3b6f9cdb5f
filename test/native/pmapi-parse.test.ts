// The streaming JSON tokenizer and PMWEBAPI extraction (firmware/src/net/
// json_stream.cpp, pmapi_parse.cpp) compiled natively with ASan/UBSan, fed
// replies captured from a real pmproxy 6.0.3 (test/fixtures/pmwebapi/) and hostile variants.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildNative, runNative } from './native-build.ts';

const exe = await buildNative('pmapi-parse', [
  'test/native/pmapi_parse_cli.cpp',
  'firmware/src/net/json_stream.cpp',
  'firmware/src/net/pmapi_parse.cpp',
]);
const fx = (f: string) => readFileSync(join(import.meta.dirname, '../fixtures/pmwebapi', f), 'latin1');

// Error codes of json_stream.h.
const E = { none: 0, syntax: 1, depth: 2, number: 3, truncated: 4, type: 5 };
const H = { context: 1, ts: 2, in: 4, out: 8, lat: 16, status: 32, indom: 64, ctxerr: 128 };
const NET = ['network.interface.in.bytes', 'network.interface.out.bytes'];

interface Result {
  err: number;
  have: number;
  context: number;
  tsSec: number;
  tsUs: number;
  in: string;
  out: string;
  latUs: number;
  latFail: boolean;
  instId: number;
}

async function parse(bodies: string[], args: (string | number)[]): Promise<Result[]> {
  const lines = await runNative(exe, bodies.join('\0'), args.map(String));
  return lines.map((l) => JSON.parse(l) as Result);
}
const netArgs = (inst: number) => [...NET, '-', '-', inst, -1, '-'];

test('modern fetch: context, ns-unpadded timestamp, counters of the wanted instance', async () => {
  const [r] = await parse([fx('fetch-ctx.body')], netArgs(3));
  assert.equal(r.err, E.none);
  assert.equal(r.have, H.context | H.ts | H.in | H.out);
  assert.deepEqual([r.context, r.tsSec, r.tsUs, r.in, r.out], [1508114417, 1795811302, 161206, '247779774', '851767']);
  const [first] = await parse([fx('fetch-ctx.body')], netArgs(0));
  assert.deepEqual([first.in, first.out], ['29026', '29026'], 'not simply the last instance');
  const [pad] = await parse(['{"timestamp":1795811918.1013862,"values":[]}'], netArgs(3));
  assert.deepEqual([pad.err, pad.tsSec, pad.tsUs], [E.none, 1795811918, 1013], 'fraction digits are a count of ns');
});

test('legacy fetch: {"s","us"} timestamp, value before instance, singular -1/null/absent', async () => {
  const [r] = await parse([fx('legacy-fetch.body')], netArgs(0));
  assert.deepEqual(
    [r.err, r.have, r.tsSec, r.tsUs, r.in, r.out],
    [E.none, H.ts | H.in | H.out, 1795811343, 260735, '783769', '783769'],
  );
  const old =
    '{ "timestamp": { "s":1412888245, "us":443665 },\n"values": [\n{ "pmid":251661312, "name":"network.interface.in.bytes","instances": [\n{"value":503730734,  "instance":0},{"value":7,  "instance":1}] }] }';
  const [o] = await parse([old], netArgs(1));
  assert.deepEqual([o.err, o.have, o.tsSec, o.tsUs, o.in], [E.none, H.ts | H.in, 1412888245, 443665, '7']);
  const sing = [
    '{"values":[{"name":"network.interface.in.bytes","instances":[{"value":5}]}]}',
    '{"values":[{"name":"network.interface.in.bytes","instances":[{"instance":null,"value":6}]}]}',
    '{"values":[{"name":"network.interface.in.bytes","instances":[{"instance":-1,"value":7}]}]}',
  ];
  assert.deepEqual(
    (await parse(sing, netArgs(-1))).map((x) => x.in),
    ['5', '6', '7'],
  );
});

test('counters beyond 2^32 and up to 2^64-1 are exact; 2^64 and fractions are rejected', async () => {
  const body = (v: string) =>
    `{"values":[{"name":"network.interface.in.bytes","instances":[{"instance":0,"value":${v}}]}]}`;
  const rs = await parse(
    [
      body('4294967296'),
      body('18446744073709551615'),
      body('18446744073709551616'),
      body('1.5'),
      body('-1'),
      body('"12"'),
    ],
    netArgs(0),
  );
  assert.deepEqual(
    rs.map((x) => [x.err, x.in]),
    [
      [E.none, '4294967296'],
      [E.none, '18446744073709551615'],
      [E.type, '0'],
      [E.type, '0'],
      [E.type, '0'],
      [E.type, '0'],
    ],
  );
});

test('shping latency: ms double to us, negative and non-zero status are failures', async () => {
  const args = (inst: number) => ['-', '-', 'shping.time.real', 'shping.status', 0, inst, '-'];
  const [lo] = await parse([fx('shping-fetch.body')], args(0));
  assert.deepEqual(
    [lo.err, lo.latUs, lo.latFail, lo.have & (H.lat | H.status)],
    [E.none, 6787, false, H.lat | H.status],
  );
  const [fail] = await parse([fx('shping-fetch.body')], args(1));
  assert.equal(fail.latFail, true, 'status 1 marks the "fail" tag');
  const lat = (v: string) => `{"values":[{"name":"shping.time.real","instances":[{"instance":0,"value":${v}}]}]}`;
  const rs = await parse(
    [lat('-1'), lat('23.4'), lat('1.2e-05'), lat('2.5E+3'), lat('0.3000000000000000444'), lat('1e400')],
    args(0),
  );
  assert.deepEqual(
    rs.map((x) => [x.err, x.latFail, x.latUs]),
    [
      [0, true, 0],
      [0, false, 23400],
      [0, false, 0],
      [0, false, 2500000],
      [0, false, 300],
      [0, false, 4294967295],
    ],
  );
});

test('indom: instance id by name (modern and legacy), context id and context errors', async () => {
  const [m, l, miss, ctxerr, legctx] = await parse(
    [
      fx('indom.body'),
      fx('legacy-indom.body'),
      fx('indom.body'),
      fx('err-unknown-ctx.body'),
      fx('legacy-ctx-hostname.body'),
    ],
    ['-', '-', '-', '-', 0, 0, 'eth0'],
  );
  assert.deepEqual([m.err, m.have & H.indom, m.instId], [E.none, H.indom, 3]);
  assert.deepEqual([l.err, l.have & H.indom], [E.none, H.indom]);
  assert.equal(miss.have & H.indom, H.indom);
  const [none] = await parse([fx('indom.body')], ['-', '-', '-', '-', 0, 0, 'ppp0']);
  assert.equal(none.have & H.indom, 0, 'ppp0 is not in the capture');
  assert.equal(ctxerr.have & H.ctxerr, H.ctxerr);
  assert.deepEqual([legctx.err, legctx.context], [E.none, 2128471627]);
});

test('malformed, deeply nested, huge numbers and wrong shapes get a reason code', async () => {
  const cases: [string, number][] = [
    ['', E.truncated],
    ['{', E.truncated],
    ['{"a":1', E.truncated],
    ['{"a":1}x', E.syntax],
    ['{"a" 1}', E.syntax],
    ['{"a":01}', E.syntax],
    ['{"a":1.}', E.syntax],
    ['{"a":-}', E.syntax],
    ['{"a":tru}', E.syntax],
    ['{"a":"\u0001"}', E.syntax],
    ['{"a":"\\q"}', E.syntax],
    ['{"a":[1,]}', E.syntax],
    ['{,}', E.syntax],
    ['{"a":1,,"b":2}', E.syntax],
    ["{'a':1}", E.syntax],
    [`{"a":${'['.repeat(8)}${']'.repeat(8)}}`, E.depth],
    [`{"a":${'1'.repeat(41)}}`, E.number],
    ['[1,2]', E.type],
    ['42', E.type],
    ['{"values":{}}', E.type],
    ['{"values":[1]}', E.type],
    ['{"timestamp":"x"}', E.type],
    ['{"timestamp":1.1234567891}', E.type],
    ['{"context":-5}', E.type],
    ['{"context":4294967296}', E.type],
    ['{"values":[{"name":"network.interface.in.bytes","instances":{}}]}', E.type],
  ];
  const rs = await parse(
    cases.map((c) => c[0]),
    netArgs(0),
  );
  for (const [i, [b, want]] of cases.entries()) assert.equal(rs[i].err, want, b);
  const ok = [
    `{"a":${'['.repeat(6)}${']'.repeat(6)}}`,
    `{"a":"${'x'.repeat(5000)}","b":[true,false,null,-0.5e-3,"\\u00e9\\n"]}`,
  ];
  assert.deepEqual(
    (await parse(ok, netArgs(0))).map((r) => r.err),
    [0, 0],
    'max depth and long strings are fine',
  );
});

test('every proper prefix of a real reply is rejected, never taken as complete', async () => {
  for (const f of ['fetch-ctx.body', 'legacy-fetch.body', 'indom.body']) {
    const body = fx(f).trimEnd();
    const [codes] = await runNative(exe, body, ['--prefixes', ...netArgs(3).map(String)]);
    assert.equal(codes.length, body.length);
    assert.match(codes, /^4+$/, `${f}: a prefix parsed as complete`);
  }
});

test('blocks of any size parse exactly like single bytes', async () => {
  let seed = 11;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed >>> 16) % n;
  };
  const bodies = ['fetch-ctx.body', 'legacy-fetch.body', 'shping-fetch.body', 'indom.body', 'err-unknown-ctx.body'].map(
    fx,
  );
  bodies.push(
    '{"values":[{"name":"network.interface.in.bytes","instances":[{"instance":3,"value":18446744073709551615}]}],"x":"' +
      'y'.repeat(100) +
      '\\u00e9\\n","t":[true,false,null,-12.5e-3]}',
  );
  bodies.push(
    '{"values":[{"name":"network.interface.\\u0069n.bytes","instances":[{"instance":3,"value":5}]}],"x":"' +
      '\\ud83d\\ude00\\ud83d-\\ude00é\\u0022'.repeat(9) +
      '"}',
  );
  for (let i = 0; i < 200; i++) {
    // corrupted ones too: errors must match as well
    const b = bodies[i % 5].split('');
    b[rnd(b.length)] = '{}[]":,0-.e\\x '[rnd(14)];
    bodies.push(b.join(''));
  }
  const args = netArgs(3).map(String);
  const one = await runNative(exe, bodies.join('\0'), args);
  for (const k of ['2', '7', '64', '300']) {
    assert.deepEqual(
      await runNative(exe, bodies.join('\0'), ['--chunks', k, ...args]),
      one,
      `blocks of up to ${k} bytes`,
    );
  }
  assert.ok(
    one.some((l) => JSON.parse(l).err !== 0) && one.some((l) => JSON.parse(l).in === '247779774'),
    'both outcomes are covered',
  );
});

test('random corruption of real replies never crashes (ASan/UBSan) and is mostly rejected', async () => {
  let seed = 7;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  const base = fx('fetch-ctx.body');
  const bodies: string[] = [];
  for (let i = 0; i < 400; i++) {
    const b = base.split('');
    for (let k = 1 + rnd(4); k > 0; k--) b[rnd(b.length)] = '{}[]":,0-.e\\x '[rnd(14)];
    bodies.push(b.join(''));
  }
  const rs = await parse(bodies, netArgs(3));
  assert.equal(rs.length, bodies.length);
  assert.ok(rs.filter((r) => r.err !== 0).length > 200, 'most corruptions are detected');
});

// Strings as the tokenizer hands them on: every character the LCD's A00 ROM cannot show (a control
// character, a code point >= 0x7F) is one '?' (docs/screens.md); \uXXXX escapes are decoded.
async function strs(bodies: string[]): Promise<{ strs: string[]; err: number }[]> {
  return (await runNative(exe, bodies.join('\0'), ['--strings'])).map(
    (l) => JSON.parse(l) as { strs: string[]; err: number },
  );
}
const utf8 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

test('\\uXXXX escapes decode; what the LCD cannot show is one "?"', async () => {
  const cases: [string, string][] = [
    ['\\u001b[0m', '?[0m'],
    ['\\u0041\\u0062c', 'Abc'],
    ['\\u0022\\u005c\\u005C\\u002F', '"\\\\/'],
    ['\\u0000', '?'],
    ['\\u007e\\u007f\\u0080\\u00e9\\u00E9\\uffff', '~?????'],
    ['\\ud83d\\ude00', '?'],
    ['\\uD83D\\uDE00x', '?x'],
    ['\\ud83dx\\ude00', '?x?'],
    ['\\ude00\\ud83d', '??'],
    ['\\ud83d\\ud83d\\ude00', '??'],
    ['\\ud83d\\ude00\\ude00', '??'],
    ['a\\ud83d', 'a?'],
    ['\\n\\t\\b\\f\\r\\/\\"\\\\', '?????/"\\'],
    [utf8('é😀€x'), '???x'],
    ['\x7f', '?'],
  ];
  const rs = await strs(cases.map(([s]) => `{"k":"${s}"}`));
  cases.forEach(([s, want], i) => {
    assert.deepEqual(rs[i], { strs: ['k', want], err: E.none }, s);
  });
});

test('decoded strings keep an honest length, and bad escapes are syntax errors', async () => {
  const [fit, cut, pairs] = await strs([
    `["${'\\u00e9'.repeat(40)}"]`,
    `["${'\\u00e9'.repeat(41)}"]`,
    `["${'\\ud83d\\ude00'.repeat(40)}"]`,
  ]);
  assert.deepEqual(fit.strs, ['?'.repeat(40)]);
  assert.deepEqual(cut.strs, [`${'?'.repeat(40)}+`]);
  assert.deepEqual(pairs.strs, ['?'.repeat(40)], 'a pair takes one cell');
  const bad = await strs(['["\\u12"]', '["\\u12g4"]', '["\\u"]', '["\\x"]', '["\\U0041"]']);
  assert.deepEqual(
    bad.map((r) => r.err),
    [E.syntax, E.syntax, E.syntax, E.syntax, E.syntax],
  );
});

test('escaped instance names and keys match what they decode to', async () => {
  const body =
    '{"context":1,"indom":"60.3","instances":[{"instance":1,"n\\u0061me":"\\u006co"},{"instance":3,"name":"eth\\u0030"},' +
    '{"instance":4,"name":"\\ud83d\\ude00"}]}';
  const [eth0, lo, emoji] = await Promise.all(
    ['eth0', 'lo', '?'].map(async (n) => (await parse([body], ['-', '-', '-', '-', 0, 0, n]))[0]),
  );
  assert.deepEqual([eth0.err, eth0.have & H.indom, eth0.instId], [E.none, H.indom, 3]);
  assert.deepEqual([lo.have & H.indom, lo.instId], [H.indom, 1]);
  assert.deepEqual([emoji.have & H.indom, emoji.instId], [H.indom, 4]);
});
