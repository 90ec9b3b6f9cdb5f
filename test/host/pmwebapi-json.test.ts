// The bridge's PMWEBAPI JSON parsing (host/src/pmwebapi-json.ts) against replies
// captured from a real pmproxy 6.0.3 (test/fixtures/pmwebapi/) and bad bodies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  errorMessage,
  parseContext,
  parseFetch,
  parseIndom,
  PmwebapiFormatError,
} from '../../host/src/pmwebapi-json.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/pmwebapi/${name}`, import.meta.url), 'utf8');

test('modern fetch body (pmproxy 6.0.3 capture)', () => {
  const r = parseFetch(fixture('fetch-ctx.body'));
  assert.equal(r.timestampNs, 1795811302_161206379n);
  assert.equal(r.values.get('network.interface.in.bytes')?.get(3), 247779774n);
  assert.equal(r.values.get('network.interface.out.bytes')?.get(3), 851767n);
});

test('legacy fetch body: {s,us} timestamp, numeric pmid', () => {
  const r = parseFetch(fixture('legacy-fetch.body'));
  assert.equal(r.timestampNs, 1795811343_260735000n);
  assert.equal(r.values.get('network.interface.in.bytes')?.get(0), 783769n);
});

test('unpadded nanoseconds are an integer count (pmproxy 6.0.3 bug)', () => {
  const r = parseFetch('{"context":1,"timestamp":1795811918.1013862,"values":[]}');
  assert.equal(r.timestampNs, 1795811918_001013862n);
});

test('u64 values above 2^53 and up to 2^64-1 survive', () => {
  const body =
    '{"context":1,"timestamp":5.0,"values":[{"pmid":"60.3.0","name":"m","instances":[{"instance":0,"value":18446744073709551615},{"instance":1,"value":9007199254740993}]}]}';
  const r = parseFetch(body);
  assert.equal(r.values.get('m')?.get(0), 18446744073709551615n);
  assert.equal(r.values.get('m')?.get(1), 9007199254740993n);
});

test('floats, singular instances and the shping capture', () => {
  const r = parseFetch(fixture('shping-fetch.body'));
  assert.equal(r.values.get('shping.time.real')?.get(0), 6.7870002);
  assert.equal(r.values.get('shping.status')?.get(1), 1n);
  const s = parseFetch(
    '{"timestamp":{"s":1,"us":2},"values":[{"pmid":1,"name":"hinv.ncpu","instances":[{"instance":null,"value":2},{"value":1.5e+3}]}]}',
  );
  assert.equal(s.values.get('hinv.ncpu')?.get(-1), 1500);
});

test('indom bodies (modern and legacy) map names to ids', () => {
  assert.equal(parseIndom(fixture('indom.body')).get('eth0'), 3);
  assert.equal(parseIndom(fixture('legacy-indom.body')).get('lo'), 0);
});

test('context replies and error bodies', () => {
  assert.equal(parseContext(fixture('legacy-ctx-hostname.body')), 2128471627);
  assert.equal(errorMessage(fixture('err-unknown-ctxpath.body')), 'unknown context identifier: 12345');
  assert.equal(errorMessage(fixture('err-bad-ctx.body')), 'invalid context identifier: abc');
  assert.match(errorMessage(fixture('err-unknown-endpoint.body')), /unknown servlet/);
});

test('bad bodies are clear errors', () => {
  assert.throws(() => parseFetch('<html>'), PmwebapiFormatError);
  assert.throws(() => parseFetch('{"values":[]}'), /timestamp/);
  assert.throws(() => parseFetch('{"timestamp":1.2}'), /values/);
  assert.throws(() => parseContext('{"context":"x"}'), /context/);
});
