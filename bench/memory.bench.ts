/**
 * Scenario 2, memory: peak RSS and external memory (array buffers and addon-mapped part buffers) above a baseline
 * while 1 GiB and 4 GiB streams of unknown length (fresh 64 KiB chunks, like a socket or a file stream) are
 * uploaded, against the bound `(concurrency+1) × partSize` and the target `1.25 × bound + 32 MiB`, flat from 1 GiB
 * to 4 GiB.
 *
 *   node --import tsx bench/run.ts --only memory [--quick]
 *
 * Each measured client runs in its own process (bench/workers/memory-worker.ts, `--expose-gc` for a clean
 * baseline), the server in another: nothing else shares the measured heap. ali-oss's `multipartUpload` cannot take
 * a stream of unknown length, so ali-oss is measured with `putStream` (one chunked PutObject) on the same stream,
 * and with `multipartUpload` of a file of the same size (known length) with the same part size and parallelism.
 */
import { GiB, MiB, loadNote, mbps, round, size } from './support/measure.js';
import { tempPatternFile } from './support/data.js';
import { withBenchServer } from './support/child-server.js';
import { runWorker } from './support/child-job.js';
import type { MemoryJob, MemoryReport } from './workers/memory-worker.js';
import type { BenchTable } from './table.js';

const WORKER = new URL('./workers/memory-worker.ts', import.meta.url);

interface Row {
  label: string;
  job: Omit<MemoryJob, 'endpoint' | 'file'>;
  /** Has a part-buffer bound (multipart with a concurrency window). */
  bounded: boolean;
}

function rows(small: number, large: number): Row[] {
  const d = { partSize: 8 * MiB, concurrency: 4 };
  const out: Row[] = [
    { label: 'the source alone (drained, nothing sent)', job: { client: 'none', bytes: small, ...d }, bounded: false },
  ];
  for (const bytes of [small, large])
    out.push({ label: 'oss-stream createUploadStream', job: { client: 'ours', bytes, ...d }, bounded: true });
  out.push({
    label: 'oss-stream, source without garbage (views)',
    job: { client: 'ours', bytes: small, ...d, source: 'views' },
    bounded: true,
  });
  out.push({
    label: 'raw undici part PUTs from one buffer (no client logic)',
    job: { client: 'undici-raw', bytes: small, ...d },
    bounded: false,
  });
  out.push({
    label: 'oss-stream createUploadStream',
    job: { client: 'ours', bytes: small, partSize: 32 * MiB, concurrency: 8 },
    bounded: true,
  });
  for (const bytes of [small, large])
    out.push({
      label: 'ali-oss putStream (same stream)',
      job: { client: 'ali-putStream', bytes, ...d },
      bounded: false,
    });
  // One size only: putStream shows ali-oss from 1 to 4 GiB, and a 4 GiB file would cost the time budget 20 s more.
  out.push({
    label: 'ali-oss multipartUpload (file, known length)',
    job: { client: 'ali-multipartUpload-file', bytes: small, ...d },
    bounded: true,
  });
  return out;
}

/** Runs the scenario; one table. */
export async function run(opts: { quick?: boolean }): Promise<BenchTable> {
  const [small, large] = opts.quick === true ? [128 * MiB, 512 * MiB] : [GiB, 4 * GiB];
  const plan = rows(small, large);
  const files = new Map<number, Awaited<ReturnType<typeof tempPatternFile>>>();
  const table: (string | number)[][] = [];
  const oursPeaks = new Map<number, number>();
  try {
    // Anonymous so the unsigned raw-undici row is accepted; every other client signs anyway.
    await withBenchServer({ storage: 'discard', anonymous: true }, async (server) => {
      for (const row of plan) {
        let file: string | undefined;
        if (row.job.client === 'ali-multipartUpload-file') {
          if (!files.has(row.job.bytes)) files.set(row.job.bytes, await tempPatternFile(row.job.bytes));
          file = files.get(row.job.bytes)!.path;
        }
        const r = await runWorker<MemoryReport>(WORKER, { ...row.job, endpoint: server.endpoint, file }, [
          '--expose-gc',
        ]);
        const rss = (r.peakRss - r.baselineRss) / MiB;
        const ab = (r.peakExternal - r.baselineExternal) / MiB;
        const heap = (r.peakHeapTotal - r.baselineHeapTotal) / MiB;
        const bound = ((Number(row.job.concurrency) + 1) * row.job.partSize) / MiB;
        const target = 1.25 * bound + 32;
        if (row.job.client === 'ours' && row.job.partSize === 8 * MiB && row.job.source === undefined)
          oursPeaks.set(row.job.bytes, rss);
        table.push([
          row.label,
          row.job.client === 'none' || row.job.client === 'ali-putStream'
            ? 'n/a'
            : `${size(row.job.partSize)} × ${row.job.concurrency}`,
          size(row.job.bytes),
          row.bounded ? round(bound) : 'n/a',
          round(rss, 1),
          round(ab, 1),
          round(heap, 1),
          row.bounded ? round(target) : '',
          row.bounded ? (Math.max(rss, ab) <= target ? 'yes' : 'NO') : '',
          round(mbps(row.job.bytes, r.seconds)),
        ]);
      }
    });
  } finally {
    for (const f of files.values()) await f.cleanup();
  }
  const s = oursPeaks.get(small);
  const l = oursPeaks.get(large);
  const flat =
    s !== undefined && l !== undefined
      ? `oss-stream peak RSS ${size(large)} ÷ ${size(small)}: ${(l / s).toFixed(2)}x. `
      : '';
  return {
    title: `Memory: peak above baseline while uploading a stream of unknown length (${size(small)}, ${size(large)})`,
    columns: [
      'client',
      'parts',
      'stream',
      'bound MiB',
      'peak RSS Δ MiB',
      'peak external Δ MiB',
      'peak heap Δ MiB',
      'target MiB',
      'within target',
      'MB/s',
    ],
    rows: table,
    notes:
      `${flat}bound = (concurrency+1) × partSize; target = 1.25 × bound + 32 MiB, checked against the larger of the RSS and external-memory peaks (external: array buffers, and the part buffers the page-buffers addon maps). ` +
      'Sampled every 5 ms in a child process per row; baseline after one tiny request by the same client and gc(). ' +
      'The source hands out fresh 64 KiB buffers (like a socket) and has its dead chunks collected (a full GC) after every 16 MiB, so no row depends on when V8 would have collected them by itself (up to 64 MiB of garbage later); what garbage is left between collections shows in every client (ali-oss putStream holds no part buffer). ' +
      "The views row sends views of one block instead: what remains is the client's own memory. " +
      'The raw undici row (its whole object preallocated before the baseline) shows the RSS that sending through undici costs by itself. ' +
      `ali-oss multipartUpload cannot take a stream of unknown length: its rows read a file of the same size. ${loadNote()}.`,
  };
}
