/**
 * The crash scenario shared by crash.spec.ts (64 MiB × 10 kills) and crash.soak.ts (256 MiB × 20 kills): a server in
 * this process (so its byte counters are readable), the uploader in a child process that is SIGKILLed at random
 * moments, then one run that is allowed to finish.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc64, ResumableStore, type Bucket } from 'oss-stream';
import type { OssServer } from 'oss-stream/server';
import { clientFor, startServer } from '../support/local-oss.js';
import { eventually } from '../support/eventually.js';
import { startLinkProxy, type LinkProxy } from '../support/link-model.js';

const RUNNER = fileURLToPath(new URL('./crash-runner.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** What to run. */
export interface CrashScenario {
  size: number;
  kills: number;
  partSize: number;
  parallel: number;
  /** Upload pace per connection (through a proxy), so kills catch parts half-sent; default 10 MB/s. */
  bytesPerSecond?: number;
  /** Seeds the kill moments (the file content is random). */
  seed?: number;
  log?: (line: string) => void;
}

/** One killed run. */
export interface KilledRun {
  /** How the kill was timed. */
  trigger: string;
  /** UploadPart bytes the server received during this run. */
  bytesIn: number;
  /** Bytes of parts the server holds after this run minus before it (for the recorded upload). */
  stored: number;
  /** bytesIn − stored: bytes that were sent and lost to the kill. */
  wasted: number;
}

/** The measurements of a scenario. */
export interface CrashReport {
  runs: KilledRun[];
  /** UploadPart bytes the server received over all runs. */
  uploadPartBytesIn: number;
  /** uploadPartBytesIn − size. */
  resent: number;
  /** kills × parallel × partSize. */
  bound: number;
  /** The final run's result line. */
  final: { mode: string; size: number; crc64: string; resumedBytes: number; parts: number };
  /** CRC64 of the local file. */
  fileCrc64: string;
  /** CRC64 the server reports for the object (HeadObject). */
  objectCrc64: string | undefined;
  /** Whether a full read of the object equals the file (SHA-256). */
  byteExact: boolean;
  /** Checkpoint files left in the store (0 after success). */
  recordsLeft: number;
  /** Multipart uploads still open for the key (uploads initiated but killed before their first record). */
  openUploads: number;
  durationMs: number;
}

/** A tiny deterministic PRNG (mulberry32), so a failing kill pattern can be replayed by its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Child {
  /** Resolves with the `done` line's JSON, or `undefined` when killed. */
  exited: Promise<CrashReport['final'] | undefined>;
  kill(): void;
}

function runChild(args: object, onLine: (line: string) => void): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', RUNNER, JSON.stringify(args)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let buf = '';
  let err = '';
  let final: CrashReport['final'] | undefined;
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line.startsWith('done ')) final = JSON.parse(line.slice(5)) as CrashReport['final'];
      onLine(line);
    }
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = once(child, 'exit').then(([code, signal]) => {
    if (signal === 'SIGKILL') return undefined;
    if (code !== 0) throw new Error(`uploader exited with ${String(code)}: ${err}`);
    return final;
  });
  return { exited, kill: () => child.kill('SIGKILL') };
}

async function storedBytes(
  bucket: Bucket,
  store: ResumableStore,
  key: string,
  path: string,
): Promise<{ uploadId: string | undefined; bytes: number }> {
  const rec = await store.load(bucket.name, key, path);
  if (rec === undefined) return { uploadId: undefined, bytes: 0 };
  const parts = await bucket.listParts(key, rec.uploadId);
  return { uploadId: rec.uploadId, bytes: parts.reduce((s, p) => s + p.size, 0) };
}

/** Runs the scenario and measures it; the caller asserts. */
export async function runCrashScenario(s: CrashScenario): Promise<CrashReport> {
  const started = Date.now();
  const log = s.log ?? (() => {});
  const random = prng(s.seed ?? 0x5eed);
  const limits = { minPartSize: 1024 };
  const dir = await mkdtemp(join(tmpdir(), 'oss-stream-crash-'));
  let server: OssServer | undefined;
  let bucket: Bucket | undefined;
  let proxy: LinkProxy | undefined;
  try {
    server = await startServer({ limits });
    bucket = clientFor(server, { limits });
    // Paced per connection only (no round trip, no host cap): parts stay in flight long enough to be killed.
    proxy = await startLinkProxy(server.endpoint, {
      rttMs: 0,
      perConnectionBytesPerSecond: s.bytesPerSecond ?? 10_000_000,
      aggregateBytesPerSecond: Infinity,
    });
    const data = randomBytes(s.size);
    const path = join(dir, 'big.bin');
    await writeFile(path, data);
    const key = 'crash/big.bin';
    const store = new ResumableStore({ root: dir, dir: 'checkpoints' });
    const args = { endpoint: proxy.endpoint, key, path, storeRoot: dir, partSize: s.partSize, parallel: s.parallel };
    const parts = server.stats.op('UploadPart');

    const runs: KilledRun[] = [];
    let before = { uploadId: undefined as string | undefined, bytes: 0 };
    for (let k = 0; k < s.kills; k++) {
      const bytesAtStart = parts.bytesIn;
      let trigger = '';
      let killed = false;
      // A fifth of the kills land early (loading the checkpoint, ListParts, reconciling, the first parts); the
      // rest once the upload reached a random point of what was left, so the last kills still hit real work.
      const early = random() < 0.2;
      const delayMs = Math.floor(random() * 150);
      const fraction = 0.05 + random() * 0.2;
      let base = -1;
      const child: Child = runChild(args, (line) => {
        if (killed) return;
        if (line === 'start' && early) {
          trigger = `${delayMs} ms after start`;
          setTimeout(() => {
            killed = true;
            child.kill();
          }, delayMs);
        } else if (line.startsWith('p ') && !early) {
          const n = Number(line.slice(2));
          if (base < 0) base = n;
          if (n >= base + fraction * (s.size - base)) {
            trigger = `at ${n} of ${s.size} bytes (started at ${base})`;
            killed = true;
            child.kill();
          }
        }
      });
      const result = await child.exited;
      if (result !== undefined)
        throw new Error(`run ${k + 1} finished before it could be killed (${trigger || 'no trigger'})`);
      // What the killed process had handed to its sockets still crosses the link (its kernel sends it, then a FIN),
      // and a part that arrives whole is stored: count this run's bytes once the link has carried them all.
      const link = proxy;
      await eventually(() => link.openConnections === 0, { timeoutMs: 10_000 });
      const after = await storedBytes(bucket, store, key, path);
      const bytesIn = parts.bytesIn - bytesAtStart;
      const stored = after.uploadId === before.uploadId ? after.bytes - before.bytes : after.bytes;
      runs.push({ trigger, bytesIn, stored, wasted: bytesIn - stored });
      log(`kill ${k + 1}: ${trigger}; sent ${bytesIn}, stored ${stored}, wasted ${bytesIn - stored}`);
      before = after;
    }

    const last = runChild(args, () => {});
    const final = await last.exited;
    if (final === undefined) throw new Error('the final run was killed');
    const got = await bucket.getObject(key);
    const h = createHash('sha256');
    for await (const c of got.body as AsyncIterable<Buffer>) h.update(c);
    const byteExact = h.digest('hex') === createHash('sha256').update(data).digest('hex');
    const head = await bucket.headObject(key);
    const records = (await readdir(store.directory)).filter((f) => f.endsWith('.json'));
    const open = await bucket.listMultipartUploads({ prefix: key });
    const resent = parts.bytesIn - s.size;
    log(`final: ${JSON.stringify(final)}; UploadPart bytesIn ${parts.bytesIn}, re-sent ${resent}`);
    return {
      runs,
      uploadPartBytesIn: parts.bytesIn,
      resent,
      bound: s.kills * s.parallel * s.partSize,
      final,
      fileCrc64: crc64(data),
      objectCrc64: head.crc64,
      byteExact,
      recordsLeft: records.length,
      openUploads: open.length,
      durationMs: Date.now() - started,
    };
  } finally {
    await bucket?.close();
    await proxy?.close();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  }
}
