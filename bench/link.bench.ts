/**
 * Scenario `link`: where the link, not the server, is the limit. The local server (discard storage, anonymous) sits
 * behind the link model of spec/support/link-model.ts, run in a process of its own: a round trip, a cap per
 * connection and a cap for the host. In each cell the ceiling is raw undici PUTting UploadPart-sized parts of the
 * same bytes at the best concurrency of a sweep; against it: oss-stream with default options (`concurrency: 'auto'`)
 * and with a fixed 4, ali-oss `multipartUpload` (its defaults, and 8 MiB × 4) and `putStream`
 * (one connection, so it gets a shorter prefix of the stream where a connection is slow). Every contender runs once
 * untimed right before its timed runs; oss-stream's first run is reported too (a fresh process's first upload). The
 * peak RSS of oss-stream auto is measured in a child process against `maxMemory` + 32 MiB.
 *
 *   node --import tsx bench/run.ts --only link [--quick]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { startBenchServer } from './support/child-server.js';
import { aliClient, aliPutStream, ceiling, ours, type BenchInput, type Contender } from './support/contenders.js';
import { runWorker } from './support/child-job.js';
import { patternBuffer } from './support/data.js';
import { MiB, loadNote, mbps, median, processCpuSeconds, round } from './support/measure.js';
import { rounds, type RunSample } from './support/rounds.js';
import type { BenchTable } from './table.js';
import type { MemoryJob, MemoryReport } from './workers/memory-worker.js';

const MB = 1e6;
const MAX_MEMORY = 256 * MiB;
// Default options are `concurrency: 'auto'` with `maxMemory` 256 MiB.
const DEFAULT_ROW = "oss-stream default options ('auto')";
// Timed runs of the ceilings and of the default row (the others: one, after their untimed warm-up).
const TARGET_RUNS = 3;

interface Cell {
  rttMs: number;
  perConnection: number;
  aggregate: number;
}

const CELLS: Cell[] = [
  { rttMs: 1, perConnection: 8 * MB, aggregate: 64 * MB },
  { rttMs: 20, perConnection: 8 * MB, aggregate: 200 * MB },
  { rttMs: 80, perConnection: 32 * MB, aggregate: 200 * MB },
  { rttMs: 20, perConnection: 32 * MB, aggregate: 64 * MB },
  { rttMs: 80, perConnection: 8 * MB, aggregate: 64 * MB },
  { rttMs: 1, perConnection: 32 * MB, aggregate: 200 * MB },
];

/**
 * One run of `c`, repeated once if it fails (ali-oss does not retry by default, and one lost part would end the
 * whole scenario). Failures are counted for the table's notes, never hidden.
 */
async function runOnce(
  c: Contender,
  prefix: string,
  serverPid: number | undefined,
  failures: string[],
): Promise<RunSample> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (await rounds([c], 1, serverPid, prefix)).get(c.name)![0]!;
    } catch (err) {
      failures.push(`${c.name}: ${(err as Error).message.split('\n')[0]!.slice(0, 120)}`);
      if (attempt === 2) throw err;
    }
  }
}

/** The link model in its own process; resolves once it listens. */
async function startLink(target: string, cell: Cell): Promise<{ endpoint: string; child: ChildProcess }> {
  const worker = fileURLToPath(new URL('./workers/link-proxy-worker.ts', import.meta.url));
  const job = {
    target,
    rttMs: cell.rttMs,
    perConnectionBytesPerSecond: cell.perConnection,
    aggregateBytesPerSecond: cell.aggregate,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', worker, JSON.stringify(job)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  child.stdout!.resume();
  return { endpoint: (JSON.parse(line.toString().trim().split('\n')[0]!) as { endpoint: string }).endpoint, child };
}

/** ali-oss `multipartUpload` with its own defaults (part size, parallelism) or the given ones. */
function aliMultipartWith(endpoint: string, input: BenchInput, name: string, opts: object): Contender {
  const client = aliClient(endpoint);
  return {
    name,
    async upload(key) {
      // A fresh options object per call: multipartUpload writes `headers: { 'Content-Length': partSize }` into the
      // one it is given, and a second call with that object declares every request (the last, shorter part; the
      // Complete XML) to be a whole part long. The server then read the next request's bytes as the rest of the
      // body and answered 400 "Invalid method", or the connection was reset: the "socket hang up" this scenario used
      // to see whenever ali-oss ran twice.
      const r = await client.multipartUpload(key, (input as { data: Buffer }).data, { ...opts });
      if (r.res.status !== 200) throw new Error(`ali-oss multipartUpload answered ${r.res.status}`);
    },
    close: async () => undefined,
  };
}

export async function run(opts: { quick?: boolean } = {}): Promise<BenchTable> {
  const cells = opts.quick ? [CELLS[1]!, CELLS[2]!, CELLS[0]!] : CELLS;
  const sweep = opts.quick ? [8, 16, 31] : [4, 8, 16, 24, 31];
  const partSize = 8 * MiB;
  const rows: (string | number)[][] = [];
  const server = await startBenchServer({ storage: 'discard', anonymous: true });
  let rssNote: string | undefined;
  const failures: string[] = [];
  // ali-oss's multipartUpload can leave a part's rejection unhandled when another part failed first; recorded
  // (and its run repeated by runOnce) instead of ending the process.
  const stray = (err: unknown): void => void failures.push(`unhandled: ${String((err as Error)?.message ?? err)}`);
  process.on('unhandledRejection', stray);
  try {
    for (const cell of cells) {
      const bytes = ((cell.aggregate >= 200 * MB ? 256 : 128) * MiB) / (opts.quick ? 2 : 1);
      const label = `${cell.rttMs} ms, ${cell.perConnection / MB}/conn, ${cell.aggregate / MB} all`;
      const link = await startLink(server.endpoint, cell);
      const data = patternBuffer(bytes);
      const input: BenchInput = { kind: 'memory', data };
      // One connection at 8 MB/s would take half a minute on 256 MiB: putStream gets a 32 MiB prefix there.
      const putBytes = cell.perConnection < 32 * MB ? Math.min(bytes, 32 * MiB) : bytes;
      const ceilings = sweep.map((c) => ({ c, contender: ceiling(link.endpoint, input, partSize, c) }));
      const contenders: Contender[] = [
        ...ceilings.map((x) => ({ ...x.contender, name: `ceiling c=${x.c}` })),
        ours(link.endpoint, input, {}, DEFAULT_ROW),
        ours(link.endpoint, input, { concurrency: 4 }, 'oss-stream fixed 4'),
        aliMultipartWith(link.endpoint, input, 'ali-oss multipartUpload (defaults)', {}),
        aliMultipartWith(link.endpoint, input, 'ali-oss multipartUpload 8 MiB × 4', { partSize, parallel: 4 }),
        aliPutStream(link.endpoint, { kind: 'memory', data: data.subarray(0, putBytes) }),
      ];
      const closed = new Set<Contender>();
      try {
        const proxyCpu0 = processCpuSeconds(link.child.pid);
        const t0 = performance.now();
        // The ceilings and oss-stream run once untimed right before their timed runs (connections, JIT, part
        // buffers warm, as in the other scenarios); oss-stream's untimed first run is also reported, as what the
        // first upload of a process pays. The ceilings and oss-stream's default row, whose ratio is the target, get
        // the median of three timed runs: a single run moved that ratio by ±0.1 here (0.77 in one, 0.95 in the next).
        const samples = new Map<string, RunSample[]>();
        let cold: RunSample | undefined;
        for (const [i, c] of contenders.entries()) {
          const runs = c.name === DEFAULT_ROW || c.name.startsWith('ceiling') ? TARGET_RUNS : 1;
          const first = await runOnce(c, `link-warm-up-${i}`, server.process.pid, failures);
          if (c.name === DEFAULT_ROW) cold = first;
          const timed: RunSample[] = [];
          for (let r = 0; r < runs; r++) timed.push(await runOnce(c, `link-${i}`, server.process.pid, failures));
          samples.set(c.name, timed);
          // Each contender gets the link to itself: with the ceilings' idle keep-alive pools still open (83
          // connections after the sweep), oss-stream ran at 0.63-0.85 of the ceiling in the 1 ms / 32 / 200 cell and
          // at 0.95 with them closed (bench/tools/link-cell.ts --ceiling-first). Not explained yet; a user's process
          // rarely holds another client's 83 idle connections to the same host.
          closed.add(c);
          await c.close();
        }
        const proxyShare = (processCpuSeconds(link.child.pid) - proxyCpu0) / ((performance.now() - t0) / 1000);
        const rate = (name: string, n = bytes) => mbps(n, median(samples.get(name)!.map((s) => s.seconds)));
        const best = ceilings
          .map((x) => ({ c: x.c, r: rate(`ceiling c=${x.c}`) }))
          .reduce((a, b) => (b.r > a.r ? b : a));
        const row = (name: string, r: number, note = '') =>
          rows.push([label, name + note, round(r), (r / best.r).toFixed(2)]);
        row(`ceiling (raw undici, best of c ∈ {${sweep.join(', ')}}: c=${best.c})`, best.r);
        for (const c of contenders.slice(ceilings.length, -1)) {
          row(c.name, rate(c.name));
          if (c.name === DEFAULT_ROW)
            row(`${DEFAULT_ROW}, first upload (cold part buffers)`, mbps(bytes, cold!.seconds));
        }
        const put = contenders.at(-1)!;
        row(put.name, rate(put.name, putBytes), putBytes < bytes ? ` (${putBytes / MiB} MiB)` : '');
        rows.push([label, `link model process CPU: ${round(proxyShare * 100)} % of one core`, '', '']);
      } finally {
        await Promise.all(contenders.filter((c) => !closed.has(c)).map((c) => c.close()));
        link.child.kill('SIGTERM');
        await once(link.child, 'exit');
      }
    }
    // Peak RSS of oss-stream auto in its own process, in the cell where it grows the most (8 MB/s a connection).
    const cell = CELLS[1]!;
    const link = await startLink(server.endpoint, cell);
    try {
      const job: MemoryJob = {
        client: 'ours',
        endpoint: link.endpoint,
        bytes: (opts.quick ? 128 : 256) * MiB,
        partSize,
        concurrency: 'auto',
        maxMemory: MAX_MEMORY,
        source: 'views',
      };
      const worker = new URL('./workers/memory-worker.ts', import.meta.url);
      const r = await runWorker<MemoryReport>(worker, job, ['--expose-gc']);
      const rss = (r.peakRss - r.baselineRss) / MiB;
      const bound = MAX_MEMORY / MiB + 32;
      rows.push([
        `${cell.rttMs} ms, ${cell.perConnection / MB}/conn, ${cell.aggregate / MB} all`,
        `oss-stream auto peak RSS (own process, ${job.bytes / MiB} MiB): ${round(rss)} MiB, bound ${bound} MiB`,
        '',
        rss <= bound ? 'within' : 'OVER',
      ]);
      rssNote =
        `Peak RSS of oss-stream auto (own process, ${job.bytes / MiB} MiB, ${cell.rttMs} ms, ` +
        `${cell.perConnection / MB} MB/s a connection, ${cell.aggregate / MB} MB/s in all): ${round(rss)} MiB over ` +
        `its baseline, against maxMemory + 32 MiB = ${MAX_MEMORY / MiB + 32} MiB ` +
        `(${rss <= MAX_MEMORY / MiB + 32 ? 'within' : 'OVER'}). `;
    } finally {
      link.child.kill('SIGTERM');
      await once(link.child, 'exit');
    }
  } finally {
    process.off('unhandledRejection', stray);
    await server.stop();
  }
  return {
    title:
      'Link model: RTT × per-connection cap × host cap, 8 MiB parts; ceilings and oss-stream default: median of 3 ' +
      'warm runs, the others one warm run' +
      (opts.quick ? ' (quick)' : ''),
    columns: ['cell (RTT, MB/s a connection, MB/s in all)', 'contender', 'MB/s', '÷ ceiling'],
    rows,
    notes:
      (rssNote ?? '') +
      'oss-stream rows are createUploadStream fed 64 KiB views (unknown length); ali-oss multipartUpload gets the ' +
      'whole buffer (known length). ' +
      (failures.length === 0
        ? 'No run failed. '
        : `${failures.length} failed run(s), each repeated once: ${failures.join('; ')}. `) +
      loadNote(),
  };
}
