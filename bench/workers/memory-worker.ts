/**
 * One measured upload in its own process, for the memory scenario: a clean heap, a baseline taken after a full GC
 * with the client built, warmed by one tiny request (lazy start-up such as undici compiling its WebAssembly HTTP
 * parser, ~30 MiB of RSS once per process, is not the upload's) and the source ready; then `rss`, `external`
 * and `heapTotal` sampled every few milliseconds while the whole stream is uploaded. Prints one JSON line
 * ({@link MemoryReport}) on stdout.
 *
 *   node --expose-gc --import tsx bench/workers/memory-worker.ts '<json MemoryJob>'
 */
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Auth, Bucket, createUploadStream } from '../support/lib.js';
import { BENCH } from '../support/child-server.js';
import { aliClient, ceiling } from '../support/contenders.js';
import { freshSource, patternBuffer } from '../support/data.js';
import { MiB } from '../support/measure.js';

/** What to upload, and with which client. */
export interface MemoryJob {
  /**
   * `none`: the source drained into a no-op Writable, to show what the source alone costs. `undici-raw`: the
   * throughput ceiling (unsigned part PUTs straight from a buffer holding the whole object, allocated before the
   * baseline): what sending through undici costs with no client logic at all. Needs an `--anonymous` server.
   */
  client: 'none' | 'undici-raw' | 'ours' | 'ali-putStream' | 'ali-multipartUpload-file';
  endpoint: string;
  bytes: number;
  partSize: number;
  /** `'auto'` only for `ours`. */
  concurrency: number | 'auto';
  /** For `ours` with `concurrency: 'auto'`: its memory budget (default the library's). */
  maxMemory?: number;
  /** For `ali-multipartUpload-file`: the file of `bytes` bytes. */
  file?: string;
  /**
   * `fresh` (default): a new 64 KiB buffer per chunk, garbage once consumed, like a socket or file stream (collected
   * every 16 MiB: see {@link COLLECT_EVERY}).
   * `views`: 64 KiB views of one 8 MiB block, so the source makes no garbage and what remains is the client's own.
   */
  source?: 'fresh' | 'views';
}

/** What the worker measured. */
export interface MemoryReport {
  seconds: number;
  baselineRss: number;
  baselineExternal: number;
  peakRss: number;
  peakExternal: number;
  baselineHeapTotal: number;
  /** V8's heap (new and old spaces): a client that churns small objects grows it. */
  peakHeapTotal: number;
  samples: number;
}

const SAMPLE_MS = 5;

const job = JSON.parse(process.argv[2] ?? '{}') as MemoryJob;
const gc = (globalThis as { gc?: (options?: { type: 'minor' | 'major' }) => void }).gc;

/**
 * The fresh source's dead chunks are collected (a full GC) after every 16 MiB it hands out. Left to itself, V8
 * collects them once external memory has grown by its soft limit (64 MiB), at a moment that differs from run to
 * run: the same client peaked at 77-79 MiB of external memory in some runs and 86 in others, against an 82 MiB
 * target, with the garbage-free source at its 40 MiB bound every time. Collected this way, each row shows what the
 * client holds, and a client that kept chunks would still show them (they would not be garbage). A minor GC would
 * do for the chunks, but scavenging that often made V8 grow its young generation by 16 MiB, which showed as RSS
 * instead (83 MiB in one run); with full GCs the 8 MiB × 4 rows read 58-77 MiB of RSS and 57-63 of external memory
 * in three runs.
 */
const COLLECT_EVERY = 16 * MiB;
let collectedAt = 0;
const collect = (produced: number): void => {
  if (produced - collectedAt < COLLECT_EVERY) return;
  collectedAt = produced;
  gc?.({ type: 'major' });
};
const makeSource = (): Readable =>
  job.source === 'views' ? repeatedViews(job.bytes) : freshSource(job.bytes, 64 * 1024, collect);

/** `total` bytes as 64 KiB views cycling over one 8 MiB block: no allocation per chunk. */
function repeatedViews(total: number): Readable {
  const block = patternBuffer(8 * MiB);
  const chunk = 64 * 1024;
  let offset = 0;
  return new Readable({
    highWaterMark: chunk,
    read() {
      if (offset >= total) {
        this.push(null);
        return;
      }
      const n = Math.min(chunk, total - offset);
      const at = offset % block.length;
      offset += n;
      this.push(block.subarray(at, at + n));
    },
  });
}

let upload: () => Promise<void>;
if (job.client === 'none') {
  const source = makeSource();
  upload = () => pipeline(source, new Writable({ write: (_c, _e, cb) => cb() }));
} else if (job.client === 'undici-raw') {
  const data = patternBuffer(job.bytes);
  // Warmed like the other clients: one tiny request (a 1-part upload of 1 KiB), not a whole run.
  const warm = ceiling(
    job.endpoint,
    { kind: 'memory', data: data.subarray(0, 1024) },
    job.partSize,
    Number(job.concurrency),
  );
  await warm.upload('memory/warm-up');
  await warm.close();
  const raw = ceiling(job.endpoint, { kind: 'memory', data }, job.partSize, Number(job.concurrency));
  upload = () => raw.upload('memory/undici-raw');
} else if (job.client === 'ours') {
  const bucket = new Bucket(new Auth(BENCH.accessKeyId, BENCH.accessKeySecret), job.endpoint, BENCH.bucket);
  await bucket.putObject('memory/warm-up', 'x');
  const source = makeSource();
  upload = async () => {
    const sink = createUploadStream(bucket, 'memory/ours', {
      partSize: job.partSize,
      concurrency: job.concurrency,
      maxMemory: job.maxMemory,
    });
    await pipeline(source, sink);
    if (sink.result?.size !== job.bytes) throw new Error(`stored ${sink.result?.size} of ${job.bytes} bytes`);
    await bucket.close();
  };
} else if (job.client === 'ali-putStream') {
  const client = aliClient(job.endpoint);
  await client.put('memory/warm-up', Buffer.from('x'));
  const source = makeSource();
  upload = async () => {
    const r = await client.putStream('memory/ali-put', source);
    if (r.res.status !== 200) throw new Error(`putStream answered ${r.res.status}`);
  };
} else {
  const client = aliClient(job.endpoint);
  await client.put('memory/warm-up', Buffer.from('x'));
  upload = async () => {
    const r = await client.multipartUpload('memory/ali-mp', job.file!, {
      partSize: job.partSize,
      parallel: Number(job.concurrency),
    });
    if (r.res.status !== 200) throw new Error(`multipartUpload answered ${r.res.status}`);
  };
}

gc?.();
gc?.();
const base = process.memoryUsage();
let peakRss = base.rss;
let peakAb = base.external;
let peakHeap = base.heapTotal;
let samples = 0;
const sample = (): void => {
  const m = process.memoryUsage();
  samples++;
  if (m.rss > peakRss) peakRss = m.rss;
  if (m.external > peakAb) peakAb = m.external;
  if (m.heapTotal > peakHeap) peakHeap = m.heapTotal;
};
const timer = setInterval(sample, SAMPLE_MS);
const t0 = performance.now();
await upload();
const seconds = (performance.now() - t0) / 1000;
sample();
clearInterval(timer);
const report: MemoryReport = {
  seconds,
  baselineRss: base.rss,
  baselineExternal: base.external,
  peakRss,
  peakExternal: peakAb,
  baselineHeapTotal: base.heapTotal,
  peakHeapTotal: peakHeap,
  samples,
};
process.stdout.write(`${JSON.stringify(report)}\n`);
