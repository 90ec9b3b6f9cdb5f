// A private, throw-away pmcd + pmproxy (+ shping PMDA) for tests and the demo.
//
// Everything lives in one temp dir (os.tmpdir()/pmlcd-pcp-XXXX): run dir, logs, pmcd.conf, PMNS,
// shping config, pid files. Ports are picked free at start, loopback only. It never touches a
// PCP the machine runs itself (/run/pcp, /var/log/pcp, ports 44321-44323, /etc/pcp/pmcd/pmcd.conf)
// and every process is stopped by PID, never by name. Needs root (see assertCanRun).
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import {
  openSync,
  closeSync,
  readFileSync,
  readdirSync,
  existsSync,
  mkdtempSync,
  mkdirSync,
  writeFileSync,
  chmodSync,
  chownSync,
  rmSync,
  unlinkSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface ShpingCommand {
  tag: string;
  command: string;
}

export interface PrivatePcpOptions {
  /** shping PMDA commands; default one loopback ping tagged "ping". Pass [] for no shping PMDA. */
  shping?: ShpingCommand[];
  /** shping cycle (-I), seconds; default 1 so tests see fresh latency samples quickly. */
  shpingCycleSec?: number;
  /** keep the temp dir (logs) after stop(). */
  keepLogs?: boolean;
}

export interface PrivatePcp {
  /** pmproxy base URL, e.g. http://127.0.0.1:40123 */
  url: string;
  pmcdPort: number;
  pmproxyPort: number;
  /** hostspec naming OUR pmcd explicitly (pmproxy's default "localhost" also reaches it). */
  hostspec: string;
  dir: string;
  /** Current PIDs (pmproxy's changes when it is restarted). */
  pids: { pmcd: number; pmproxy: number };
  /** Stops pmproxy alone (pmcd keeps running): the URL refuses connections until startPmproxy(). */
  stopPmproxy(): Promise<void>;
  /** Starts pmproxy again on the same port. Its contexts lived in memory: clients must make new ones. */
  startPmproxy(): Promise<void>;
  /** stopPmproxy() then startPmproxy(). */
  restartPmproxy(): Promise<void>;
  stop(): Promise<void>;
}

export const PCP_BINADM_DIR = '/usr/lib/pcp/bin';
const PMDAS_DIR = '/var/lib/pcp/pmdas';
const PMNS_SRC_DIR = '/usr/lib/pcp/pmns';
const SHPING_SRC_DIR = '/usr/lib/pcp/pmdas/shping';
const DIR_PREFIX = 'pmlcd-pcp-';
/** Every process of an instance carries this in its environment, so leftovers can be found by PID. */
const MARKER_ENV = 'PMLCD_PCP_INSTANCE';
const SHPING_DOMAIN = 19;
const SHPING_TIMEOUT_SEC = 2;
const DEFAULT_SHPING: ShpingCommand[] = [{ tag: 'ping', command: 'ping -c1 -w1 -q 127.0.0.1' }];
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const PORT_ATTEMPTS = 4;
const SYSTEM_PORTS = new Set([44321, 44322, 44323]);

const execFileP = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Live instances of this process, for the synchronous exit safety net. */
const live = new Set<string>();

export function assertCanRun(): void {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'startPrivatePcp needs root: pmcd -f must start pmdalinux/pmdashping, and pmdashping ' +
        'switches to user "pcp" (setuid fails for other users), so a non-root pmcd loses the shping and ' +
        'network metrics. Run the tests/demo as root, or point the bridge at an existing pmproxy instead.',
    );
  }
  for (const f of [
    join(PCP_BINADM_DIR, 'pmcd'),
    join(PCP_BINADM_DIR, 'pmproxy'),
    join(PCP_BINADM_DIR, 'pmnsmerge'),
    join(PMDAS_DIR, 'linux/pmdalinux'),
    join(PMDAS_DIR, 'pmcd/pmda_pmcd.so'),
  ]) {
    if (!existsSync(f)) throw new Error(`PCP is not installed (missing ${f}); install Debian's "pcp" package`);
  }
}

export async function startPrivatePcp(opts: PrivatePcpOptions = {}): Promise<PrivatePcp> {
  assertCanRun();
  sweepStaleInstances();
  const shping = opts.shping ?? DEFAULT_SHPING;
  for (const s of shping) {
    if (!/^[A-Za-z0-9_.-]+$/.test(s.tag)) throw new Error(`shping tag must be a plain word: ${JSON.stringify(s.tag)}`);
    if (/[\n\t]/.test(s.command)) throw new Error(`shping command must be one line: ${JSON.stringify(s.command)}`);
  }
  const dir = mkdtempSync(join(tmpdir(), DIR_PREFIX));
  live.add(dir);
  installSafetyNet();
  const children: ChildProcess[] = [];
  try {
    await prepareDir(dir, shping, opts.shpingCycleSec ?? 1);
    for (let attempt = 1; ; attempt++) {
      const [pmcdPort, pmproxyPort] = await freePorts(2);
      const started = await startDaemons(dir, pmcdPort, pmproxyPort, children);
      if (started) break;
      await killAll(dir, children);
      children.length = 0;
      if (attempt >= PORT_ATTEMPTS) throw new Error(`could not bind private pmcd/pmproxy ports after ${attempt} tries`);
    }
    const [pmcd, pmproxy] = children as [ChildProcess, ChildProcess];
    const pmcdPort = Number(readFileSync(join(dir, 'pmcd.port'), 'utf8'));
    const pmproxyPort = Number(readFileSync(join(dir, 'pmproxy.port'), 'utf8'));
    const url = `http://127.0.0.1:${pmproxyPort}`;
    await waitForMetrics(url, dir, shping.length > 0);
    let stopping: Promise<void> | undefined;
    const pids = { pmcd: pmcd.pid!, pmproxy: pmproxy.pid! };
    const stopPmproxy = async () => {
      await stopChild(children[1]!);
      rmSync(join(dir, 'pmproxy.pid'), { force: true });
    };
    const startPmproxy = async () => {
      if (stopping) throw new Error('private PCP is stopped');
      const old = children[1]!;
      if (old.exitCode === null && old.signalCode === null)
        throw new Error('pmproxy is still running (stopPmproxy first)');
      const env = pcpEnv(dir, pmcdPort);
      for (let attempt = 1; ; attempt++) {
        const p = launchPmproxy(dir, pmproxyPort, env);
        children[1] = p;
        if (await waitForPortLine(p, join(dir, 'log/pmproxy.log'), pmproxyPort, 'pmproxy')) break;
        await stopChild(p);
        // the port is ours only while nothing else took it in the gap: a few tries, then give up
        if (attempt >= PORT_ATTEMPTS)
          throw new Error(`pmproxy could not bind port ${pmproxyPort} again\n${logTail(dir)}`);
        await sleep(250);
      }
      pids.pmproxy = children[1].pid!;
      await waitForMetrics(url, dir, shping.length > 0);
    };
    return {
      url,
      pmcdPort,
      pmproxyPort,
      dir,
      hostspec: `127.0.0.1:${pmcdPort}`,
      pids,
      stopPmproxy,
      startPmproxy,
      restartPmproxy: async () => {
        await stopPmproxy();
        await startPmproxy();
      },
      stop: () =>
        (stopping ??= (async () => {
          await killAll(dir, children);
          live.delete(dir);
          if (opts.keepLogs) rmSync(join(dir, 'owner.pid'), { force: true });
          else rmSync(dir, { recursive: true, force: true });
        })()),
    };
  } catch (err) {
    const logs = logTail(dir);
    await killAll(dir, children);
    live.delete(dir);
    if (!opts.keepLogs) rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}${logs ? `\n--- private PCP logs (${dir}) ---\n${logs}` : ''}`, {
      cause: err,
    });
  }
}

/** Is a pmproxy answering at url (loopback only)? Returns the url or null. */
export async function findLocalPmproxy(url = 'http://127.0.0.1:44322'): Promise<string | null> {
  const u = new URL(url);
  if (!/^(127\.\d+\.\d+\.\d+|localhost)$/.test(u.hostname))
    throw new Error(`findLocalPmproxy only probes loopback, not ${u.hostname}`);
  try {
    const res = await fetch(new URL('/pmapi/context', u), { signal: AbortSignal.timeout(1000) });
    const body: unknown = await res.json();
    const ok =
      res.ok &&
      typeof body === 'object' &&
      body !== null &&
      typeof (body as { context?: unknown }).context === 'number';
    return ok ? url : null;
  } catch {
    return null;
  }
}

async function prepareDir(dir: string, shping: ShpingCommand[], cycleSec: number): Promise<void> {
  const { uid, gid } = pcpUser();
  chmodSync(dir, 0o755); // pmdashping runs as pcp and must reach its config and log dir
  for (const d of ['run', 'tmp', 'log', 'log/pmcd', 'pmns']) mkdirSync(join(dir, d), { recursive: true });
  for (const d of ['run', 'tmp', 'log', 'log/pmcd']) chownSync(join(dir, d), uid, gid);
  writeFileSync(join(dir, 'owner.pid'), `${process.pid}\n`);
  await buildPmns(join(dir, 'pmns'), shping.length > 0);

  const shpingConf = join(dir, 'shping.conf');
  writeFileSync(shpingConf, shping.map((s) => `${s.tag}\t${s.command}\n`).join(''), { mode: 0o644 });
  const pmdas = [
    `pmcd\t2\tdso\tpmcd_init\t${PMDAS_DIR}/pmcd/pmda_pmcd.so`,
    `linux\t60\tpipe\tbinary\t${PMDAS_DIR}/linux/pmdalinux`,
  ];
  if (shping.length > 0) {
    pmdas.push(
      `shping\t${SHPING_DOMAIN}\tpipe\tbinary\t${PMDAS_DIR}/shping/pmdashping -d ${SHPING_DOMAIN} ` +
        `-I ${Math.max(1, Math.round(cycleSec))} -t ${SHPING_TIMEOUT_SEC} ${shpingConf}`,
    );
  }
  writeFileSync(
    join(dir, 'pmcd.conf'),
    `${pmdas.join('\n')}\n\n[access]\ndisallow ".*" : store;\ndisallow ":*" : store;\nallow "local:*" : all;\n`,
  );
  // REST only: no Redis (it would probe localhost:6379), no archive discovery, no series.
  writeFileSync(
    join(dir, 'pmproxy.conf'),
    '[pmproxy]\npcp.enabled = true\nhttp.enabled = true\n' +
      'redis.enabled = false\nsecure.enabled = false\n[redis]\nenabled = false\n[discover]\nenabled = false\n' +
      '[pmsearch]\nenabled = false\n[pmseries]\nenabled = false\n',
  );
}

/** Private PMNS: pmcd + linux (+ shping) merged from the packaged fragments, never the system root. */
async function buildPmns(pmnsDir: string, withShping: boolean): Promise<void> {
  // the packaged stdpmid is built at install time and may be missing: derive it like Make.stdpmid does
  const domains = ['stdpmid.pcp', 'stdpmid.local']
    .flatMap((f) => readFileSync(join(PMNS_SRC_DIR, f), 'utf8').split('\n'))
    .map((l) => /^([A-Z][A-Z0-9_]*)\s+(\d+)/.exec(l))
    .filter((m) => m !== null)
    .map((m) => `#define ${m[1]} ${m[2]}\n`)
    .join('');
  writeFileSync(join(pmnsDir, 'stdpmid'), domains);
  const parts = ['root_root', 'root_pmcd', 'root_linux'];
  for (const p of parts) writeFileSync(join(pmnsDir, p), readFileSync(join(PMNS_SRC_DIR, p)));
  if (withShping) {
    writeFileSync(join(pmnsDir, 'shping.pmns'), readFileSync(join(SHPING_SRC_DIR, 'pmns')));
    writeFileSync(join(pmnsDir, 'root_shping'), '#include <stdpmid>\nroot { shping }\n#include "shping.pmns"\n');
    parts.push('root_shping');
  }
  await execFileP(join(PCP_BINADM_DIR, 'pmnsmerge'), ['-a', ...parts, 'root'], { cwd: pmnsDir, timeout: 10_000 });
}

function pcpEnv(dir: string, pmcdPort: number): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    LANG: 'C',
    [MARKER_ENV]: dir,
    PCP_RUN_DIR: join(dir, 'run'),
    PCP_LOG_DIR: join(dir, 'log'),
    PCP_TMP_DIR: join(dir, 'tmp'),
    PCP_TMPFILE_DIR: join(dir, 'tmp'),
    PCP_PMCDCONF_PATH: join(dir, 'pmcd.conf'),
    PMNS_DEFAULT: join(dir, 'pmns/root'),
    PMCD_SOCKET: join(dir, 'run/pmcd.socket'),
    PMCD_PORT: String(pmcdPort), // makes pmproxy's default "localhost" context reach OUR pmcd
    PMPROXY_LOCAL: '1',
  };
}

/** Starts both daemons; false if a port was taken (caller retries with fresh ports). */
async function startDaemons(
  dir: string,
  pmcdPort: number,
  pmproxyPort: number,
  children: ChildProcess[],
): Promise<boolean> {
  const env = pcpEnv(dir, pmcdPort);
  const logDir = join(dir, 'log');
  const pmcdLog = join(logDir, 'pmcd/pmcd.log');
  const pmproxyLog = join(logDir, 'pmproxy.log');
  rmSync(pmcdLog, { force: true });
  const pmcd = launch(
    dir,
    'pmcd',
    [
      '-f',
      '-A',
      '-i',
      '127.0.0.1',
      '-p',
      String(pmcdPort),
      '-s',
      join(dir, 'run/pmcd.socket'),
      '-c',
      join(dir, 'pmcd.conf'),
      '-n',
      join(dir, 'pmns/root'),
      '-l',
      pmcdLog,
      '-x',
      join(logDir, 'pmcd/fatal.log'),
    ],
    join(logDir, 'pmcd'),
    env,
  );
  children.push(pmcd);
  if (!(await waitForPortLine(pmcd, pmcdLog, pmcdPort, 'pmcd'))) return false;
  const pmproxy = launchPmproxy(dir, pmproxyPort, env);
  children.push(pmproxy);
  if (!(await waitForPortLine(pmproxy, pmproxyLog, pmproxyPort, 'pmproxy'))) return false;
  writeFileSync(join(dir, 'pmcd.port'), String(pmcdPort));
  writeFileSync(join(dir, 'pmproxy.port'), String(pmproxyPort));
  return true;
}

/** pmproxy with a fresh log (its port line is the readiness signal). */
function launchPmproxy(dir: string, port: number, env: NodeJS.ProcessEnv): ChildProcess {
  const logDir = join(dir, 'log');
  const log = join(logDir, 'pmproxy.log');
  rmSync(log, { force: true });
  return launch(
    dir,
    'pmproxy',
    [
      '-f',
      '-A',
      '-i',
      '127.0.0.1',
      '-p',
      String(port),
      '-s',
      join(dir, 'run/pmproxy.socket'),
      '-c',
      join(dir, 'pmproxy.conf'),
      '-l',
      log,
      '-x',
      join(logDir, 'pmproxy.fatal'),
    ],
    logDir,
    env,
  );
}

function launch(dir: string, name: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): ChildProcess {
  const out = openSync(join(dir, `${name}.out`), 'a');
  const child = spawn(join(PCP_BINADM_DIR, name), args, { cwd, env, stdio: ['ignore', out, out] });
  closeSync(out);
  child.on('error', () => {}); // reported through the readiness checks instead
  child.unref(); // a forgotten stop() must not keep node alive; the exit safety net kills it
  if (child.pid === undefined) throw new Error(`could not spawn ${name}`);
  writeFileSync(join(dir, `${name}.pid`), `${child.pid}\n`);
  return child;
}

/** Both daemons print a port table; "ok" for our inet port proves the listener is really ours. */
async function waitForPortLine(child: ChildProcess, log: string, port: number, name: string): Promise<boolean> {
  const okLine = new RegExp(`^\\s*ok\\s+\\d+\\s+${port}\\s+inet\\b`, 'm');
  const errLine = new RegExp(`^\\s*err\\s+-?\\d+\\s+${port}\\s+inet\\b`, 'm');
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
    if (okLine.test(text)) return true;
    if (errLine.test(text) || /can't open any request ports/i.test(text)) return false;
    if (child.exitCode !== null || child.signalCode !== null) {
      if (/in use/i.test(text)) return false;
      throw new Error(`${name} exited during startup (code ${child.exitCode}, signal ${child.signalCode})`);
    }
    await sleep(10);
  }
  throw new Error(`${name} did not report its listening port ${port} within ${READY_TIMEOUT_MS} ms`);
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return { status: res.status, body: await res.json() };
}

interface FetchBody {
  values?: { name: string; instances: { value: unknown }[] }[];
}

async function waitForMetrics(url: string, dir: string, withShping: boolean): Promise<void> {
  const names = ['network.interface.in.bytes', ...(withShping ? ['shping.time.real'] : [])];
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const { status, body } = await getJson(`${url}/pmapi/fetch?names=${names.join(',')}`);
      const values = (body as FetchBody).values ?? [];
      const missing = names.filter((n) => !values.some((v) => v.name === n && v.instances.length > 0));
      if (status === 200 && missing.length === 0) return;
      last = `HTTP ${status}, no values yet for ${missing.join(', ')}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(withShping ? 50 : 20);
  }
  throw new Error(
    `private PCP in ${dir} not ready after ${READY_TIMEOUT_MS} ms (${last})` +
      (withShping ? '; is iputils-ping installed and can user "pcp" read the shping config?' : ''),
  );
}

async function freePorts(n: number): Promise<number[]> {
  const servers = [];
  const ports: number[] = [];
  try {
    while (ports.length < n) {
      const srv = createServer();
      servers.push(srv);
      await new Promise<void>((res, rej) => {
        srv.once('error', rej);
        srv.listen(0, '127.0.0.1', () => res());
      });
      const port = (srv.address() as { port: number }).port;
      if (!SYSTEM_PORTS.has(port)) ports.push(port);
    }
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
  return ports;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once('exit', () => r()));
}

/** SIGTERM one of our daemons (by its ChildProcess, so by PID), SIGKILL after a timeout. */
async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  c.kill('SIGTERM');
  const timer = sleep(STOP_TIMEOUT_MS).then(() => 'timeout');
  if ((await Promise.race([exited(c).then(() => 'exited'), timer])) === 'timeout') {
    c.kill('SIGKILL');
    await exited(c);
  }
}

/** SIGTERM our daemons, SIGKILL after a timeout, then reap any PMDA/command left with our marker. */
async function killAll(dir: string, children: ChildProcess[]): Promise<void> {
  await Promise.all(children.map(stopChild));
  // PMDAs exit once pmcd closes their pipes; give them a moment, then kill stragglers by PID
  for (let i = 0; i < 50 && instancePids(dir).length > 0; i++) await sleep(20);
  for (const pid of instancePids(dir)) tryKill(pid, 'SIGKILL');
  for (const name of ['pmcd', 'pmproxy']) rmSync(join(dir, `${name}.pid`), { force: true });
}

/** PIDs of processes (other than us) whose environment carries this instance's marker. */
export function instancePids(dir: string): number[] {
  const marker = Buffer.from(`${MARKER_ENV}=${dir}\0`);
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/environ`).includes(marker) && !isZombie(pid)) pids.push(pid);
    } catch {
      /* process went away or is not readable */
    }
  }
  return pids;
}

function isZombie(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

function tryKill(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !isZombie(pid);
  } catch {
    return false;
  }
}

/** Kills what crashed earlier runs left behind: their daemons (by recorded PID) and marked children. */
export function sweepStaleInstances(): number {
  let killed = 0;
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const dir = join(tmpdir(), name);
    const owner = readPid(join(dir, 'owner.pid'));
    if (owner === null || (isAlive(owner) && owner !== process.pid) || live.has(dir)) continue;
    for (const d of ['pmproxy', 'pmcd']) {
      const pid = readPid(join(dir, `${d}.pid`));
      if (pid !== null && cmdline(pid).includes(dir)) {
        tryKill(pid, 'SIGKILL');
        killed++;
      }
    }
    for (const pid of instancePids(dir)) {
      tryKill(pid, 'SIGKILL');
      killed++;
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return killed;
}

function readPid(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 ? pid : null;
  } catch {
    return null;
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

function pcpUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('pcp:'));
  if (!line) throw new Error('user "pcp" does not exist (is the pcp package fully configured?)');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

function logTail(dir: string): string {
  const files = [
    'log/pmcd/pmcd.log',
    'log/pmproxy.log',
    'log/pmcd/shping.log',
    'log/pmcd/linux.log',
    'pmcd.out',
    'pmproxy.out',
  ];
  return files
    .filter((f) => existsSync(join(dir, f)))
    .map((f) => {
      const lines = readFileSync(join(dir, f), 'utf8').trimEnd().split('\n');
      return `[${f}]\n${lines.slice(-8).join('\n')}`;
    })
    .join('\n');
}

let netInstalled = false;
/** Synchronous last resort: if the process exits without stop(), kill our instances by PID. */
function installSafetyNet(): void {
  if (netInstalled) return;
  netInstalled = true;
  const killSync = () => {
    for (const dir of live) {
      for (const name of ['pmproxy', 'pmcd']) {
        const pid = readPid(join(dir, `${name}.pid`));
        if (pid !== null) tryKill(pid, 'SIGKILL');
      }
      for (const pid of instancePids(dir)) tryKill(pid, 'SIGKILL');
      try {
        unlinkSync(join(dir, 'owner.pid'));
      } catch {
        /* gone */
      }
      rmSync(dir, { recursive: true, force: true });
    }
    live.clear();
  };
  process.on('exit', killSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      killSync();
      // keep the default "die on signal" unless the application handles the signal itself
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.once(sig, onSignal);
  }
}
