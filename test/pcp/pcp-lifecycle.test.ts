// Private PCP lifecycle: never touches the system ports, stops everything it started (by PID),
// and the sweeper cleans up after a crashed run.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { startPrivatePcp, instancePids, sweepStaleInstances, findLocalPmproxy } from '../../demo/pcp-local.ts';
import { pcpUnavailable, getJson, type FetchValues } from '../support/pcp.ts';

/** Running and not a zombie (PID 1 in this sandbox does not reap orphans). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

/** A stand-in "system PCP" on a default port that records every connection it gets. */
async function decoy(port: number): Promise<{ server: Server | null; hits: () => number }> {
  let hits = 0;
  const server = createServer((s) => {
    hits++;
    s.destroy();
  });
  const ok = await new Promise<boolean>((r) => {
    server.once('error', () => r(false)); // a real system PCP already owns it: that is fine too
    server.listen(port, '127.0.0.1', () => r(true));
  });
  return { server: ok ? server : null, hits: () => hits };
}

describe('private PCP lifecycle', { skip: pcpUnavailable() ?? false }, () => {
  test('with "system" listeners on 44321/44322 it works, never connects to them, and stops cleanly', async () => {
    const pmcd = await decoy(44321);
    const pmproxy = await decoy(44322);
    try {
      const t0 = performance.now();
      const pcp = await startPrivatePcp({ shping: [] });
      const startMs = performance.now() - t0;
      assert.ok(![44321, 44322, 44323].includes(pcp.pmcdPort) && ![44321, 44322, 44323].includes(pcp.pmproxyPort));
      const { status, body } = await getJson<FetchValues>(`${pcp.url}/pmapi/fetch?names=network.interface.in.bytes`);
      assert.equal(status, 200);
      assert.ok(body.values[0]!.instances.length > 0);
      const ctx = await getJson<{ context: number }>(`${pcp.url}/pmapi/context?hostspec=localhost`);
      assert.equal(ctx.status, 200, 'default "localhost" hostspec reaches the private pmcd via PMCD_PORT');
      assert.equal(await findLocalPmproxy(pcp.url), pcp.url);

      const all = instancePids(pcp.dir);
      assert.ok(all.includes(pcp.pids.pmcd) && all.includes(pcp.pids.pmproxy) && all.length >= 3, `pids ${all}`);
      const t1 = performance.now();
      await pcp.stop();
      const stopMs = performance.now() - t1;
      console.log(`# private PCP (no shping) start ${startMs.toFixed(0)} ms, stop ${stopMs.toFixed(0)} ms`);
      for (const pid of all) assert.equal(alive(pid), false, `pid ${pid} still running`);
      assert.equal(existsSync(pcp.dir), false);
      assert.equal(pmcd.hits() + pmproxy.hits(), 0, 'something connected to the default PCP ports');
      assert.equal(await findLocalPmproxy(pcp.url), null);
    } finally {
      pmcd.server?.close();
      pmproxy.server?.close();
    }
  });

  test('findLocalPmproxy refuses non-loopback hosts and says null for non-PCP servers', async () => {
    await assert.rejects(findLocalPmproxy('http://192.0.2.1:44322'), /only probes loopback/);
    const other = createServer((s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}'));
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', () => r()));
    try {
      assert.equal(await findLocalPmproxy(`http://127.0.0.1:${(other.address() as { port: number }).port}`), null);
    } finally {
      other.close();
    }
  });

  test('a crashed owner leaves processes behind; the sweeper kills them by PID', async () => {
    const script = `import { startPrivatePcp } from './demo/pcp-local.ts';
      const p = await startPrivatePcp({ shping: [] });
      console.log(JSON.stringify({ dir: p.dir, pids: p.pids }));`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: new URL('../..', import.meta.url).pathname,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const info = await new Promise<{ dir: string; pids: { pmcd: number; pmproxy: number } }>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('\n')) {
          resolve(JSON.parse(out));
          child.kill('SIGKILL');
        } // no exit handlers run
      });
      child.on('exit', () => {
        if (!out.includes('\n')) reject(new Error('child did not start PCP'));
      });
    });
    await new Promise((r) => child.once('exit', r));
    assert.ok(alive(info.pids.pmcd) && alive(info.pids.pmproxy), 'the crash left daemons running');
    assert.ok(sweepStaleInstances() >= 2);
    for (let i = 0; i < 50 && (alive(info.pids.pmcd) || alive(info.pids.pmproxy)); i++)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(alive(info.pids.pmcd), false);
    assert.equal(alive(info.pids.pmproxy), false);
    assert.deepEqual(instancePids(info.dir), []);
    assert.equal(existsSync(info.dir), false);
  });
});
