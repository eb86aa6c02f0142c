/**
 * Scenario 1, throughput: a 1 GiB object, from memory and from a file, into the local server (discard and disk
 * storage) running in a child process. Side by side in one run: the raw-undici ceiling, oss-stream's
 * `createUploadStream` (and, from the file into the discard server, its `resumableUpload`: what `oss-stream cp`
 * runs), ali-oss `multipartUpload` (same part size and parallelism) and ali-oss `putStream`; then a
 * grid of part size × concurrency; client CPU per GiB (all threads and the main thread's part) side by side; and the
 * client's own ceiling against a server in its `--skip-md5` benchmark mode.
 *
 *   node --import tsx bench/run.ts --only throughput [--quick]
 *
 * Every server here runs with `--anonymous` so the unsigned ceiling is accepted; the clients still sign every
 * request, the server just skips the check, for everybody alike. MB/s is 10^6 bytes per second, median of the
 * runs; "client CPU" is this process's user + system time per GiB sent, "server CPU" the server process's share
 * of one core during the runs: near 100 % means the server, not the client, set the pace. "Main thread" is the
 * part of the client CPU spent on the JavaScript thread (Linux: /proc/self/task/<pid>/stat); the rest is libuv's
 * file-system threads, V8's GC and compiler threads.
 */
import { GiB, MiB, loadNote, median, mbps, ratio, round, size, spread } from './support/measure.js';
import { patternBuffer, tempFile } from './support/data.js';
import { startBenchServer, type BenchServer } from './support/child-server.js';
import {
  aliMultipart,
  aliPutStream,
  ceiling,
  inputSize,
  ours,
  oursResumable,
  type BenchInput,
  type Contender,
} from './support/contenders.js';
import { rounds, type RunSample } from './support/rounds.js';
import type { BenchTable } from './table.js';

interface Plan {
  /** Object size of every upload in the default-options tables. */
  bytes: number;
  /** Object size in the grid (smaller, to keep the whole bench under 10 minutes). */
  gridBytes: number;
  /** Runs per contender in the default-options tables. */
  runs: number;
  /** Runs per contender in each grid cell. */
  gridRuns: number;
  /** Source → storage combinations measured with default options, and their runs per contender. */
  combos: readonly { source: 'memory' | 'file'; storage: 'discard' | 'disk'; runs?: number }[];
}

const FULL: Plan = {
  bytes: GiB,
  gridBytes: 256 * MiB,
  runs: 5,
  gridRuns: 3,
  combos: [
    { source: 'memory', storage: 'discard' },
    { source: 'file', storage: 'discard' },
    // Disk mode runs at about half the speed: 3 runs keep the whole bench under 10 minutes on a busy machine.
    { source: 'file', storage: 'disk', runs: 3 },
  ],
};
const QUICK: Plan = {
  ...FULL,
  bytes: 256 * MiB,
  gridBytes: 64 * MiB,
  runs: 1,
  gridRuns: 1,
  combos: FULL.combos.map((c) => ({ ...c, runs: 1 })),
};

const DEFAULT_PART = 8 * MiB;
const WARMUP_BYTES = 64 * MiB;
// Every contender sends the same parts with the same window here, so the columns compare client work alone.
const DEFAULT_CONCURRENCY = 4;
const AUTO = "oss-stream createUploadStream (default concurrency 'auto')";
const GRID_PARTS = [MiB, 8 * MiB, 32 * MiB];
const GRID_CONCURRENCY = [1, 4, 8];

interface Summary {
  mbps: number;
  runs: number[];
  /** Client CPU seconds per GiB, all threads. */
  cpuPerGiB: number;
  /** The main thread's part of {@link cpuPerGiB}. */
  mainPerGiB: number;
  /** Client CPU seconds per wall second over the runs: cores the client kept busy. */
  clientCores: number;
  /** Server CPU as a percentage of one core over the runs. */
  serverPct: number;
}

function summarize(samples: readonly RunSample[], bytes: number): Summary {
  const rates = samples.map((s) => mbps(bytes, s.seconds));
  const wall = samples.reduce((a, s) => a + s.seconds, 0);
  return {
    mbps: median(rates),
    runs: rates,
    cpuPerGiB: median(samples.map((s) => s.clientCpu)) / (bytes / GiB),
    mainPerGiB: median(samples.map((s) => s.clientMainCpu)) / (bytes / GiB),
    clientCores: samples.reduce((a, s) => a + s.clientCpu, 0) / wall,
    serverPct: (100 * samples.reduce((a, s) => a + s.serverCpu, 0)) / wall,
  };
}

async function measure(
  contenders: Contender[],
  runs: number,
  server: BenchServer,
  prefix: string,
  bytes: number,
): Promise<Map<string, Summary>> {
  try {
    const samples = await rounds(contenders, runs, server.process.pid, prefix);
    return new Map([...samples].map(([name, s]) => [name, summarize(s, bytes)]));
  } finally {
    for (const c of contenders) await c.close();
  }
}

function defaultTable(label: string, results: Map<string, Summary>, plan: Plan, runs: number): BenchTable {
  const ceil = results.get('ceiling (raw undici)')!;
  const mine = results.get('oss-stream createUploadStream')!;
  const ali = results.get('ali-oss multipartUpload')!;
  return {
    title: `Throughput: ${size(plan.bytes)} ${label}, ${size(DEFAULT_PART)} parts × ${DEFAULT_CONCURRENCY} (every contender), median of ${runs}`,
    columns: [
      'contender',
      'MB/s',
      'runs min–max',
      'client CPU s/GiB',
      'server CPU %',
      'vs ceiling',
      'oss-stream ÷ this',
    ],
    rows: [...results].map(([name, s]) => [
      name,
      round(s.mbps),
      spread(s.runs),
      round(s.cpuPerGiB, 2),
      round(s.serverPct),
      ratio(s.mbps, ceil.mbps),
      name === 'oss-stream createUploadStream' ? '' : ratio(mine.mbps, s.mbps),
    ]),
    notes:
      'Server CPU near 100 % means the server (one Node process hashing MD5 + CRC64 of every byte) set the pace for that contender. ' +
      `ali-oss putStream is one chunked PutObject (no parts, no parallelism). Targets: oss-stream ≥ 0.9× ceiling and ≥ 2× ali-oss. ` +
      `No client beats the ceiling, so on this server no client can be more than ceiling ÷ ali-oss multipartUpload = ${ratio(ceil.mbps, ali.mbps)} ali-oss. ${loadNote()}.`,
  };
}

/**
 * Client CPU per GiB from the default-options runs against the discard server (the same runs as their tables), every
 * contender and source side by side: all threads, and the main thread's part.
 */
function cpuTable(bySource: Map<string, Map<string, Summary>>, plan: Plan): BenchTable {
  const rows: (string | number)[][] = [];
  for (const [source, results] of bySource) {
    const mine = results.get('oss-stream createUploadStream')!;
    for (const [name, s] of results) {
      rows.push([
        name,
        source,
        round(s.mbps),
        round(s.cpuPerGiB, 2),
        round(s.mainPerGiB, 2),
        `${round((100 * s.mainPerGiB) / s.cpuPerGiB)} %`,
        name === 'oss-stream createUploadStream' ? '' : ratio(mine.cpuPerGiB, s.cpuPerGiB),
      ]);
    }
  }
  return {
    title: `Client CPU per GiB: ${size(plan.bytes)} → discard server, ${size(DEFAULT_PART)} parts × ${DEFAULT_CONCURRENCY}, same runs as the tables above`,
    columns: [
      'contender',
      'source',
      'MB/s',
      'client CPU s/GiB (all threads)',
      'main thread s/GiB',
      'main-thread share',
      'oss-stream CPU ÷ this',
    ],
    rows,
    notes:
      'Medians of the runs. oss-stream computes the CRC-64 of every byte and checks it against the server, part by part ' +
      'and whole; the raw-undici ceiling and ali-oss verify nothing. Target: oss-stream ≤ 0.6 s/GiB from memory and ' +
      'from a file. oss-stream resumableUpload (file only) reads each part into a pooled buffer with one FileHandle ' +
      'and saves (fsyncs) its checkpoint at most once a second, and when it stops. ' +
      'Off the main thread: libuv file reads (the file source, ali-oss), V8 GC and compiler threads. ' +
      `CPU seconds are inflated on a loaded machine (caches and memory bandwidth are shared): compare rows of one table. ${loadNote()}.`,
  };
}

/**
 * The client's own ceiling: oss-stream from memory into a discard server in its `--skip-md5` benchmark mode (CRC-64
 * still computed and returned, so every byte is still verified), beside raw undici on the same server.
 */
async function clientCeiling(plan: Plan, data: Buffer): Promise<BenchTable> {
  const server = await startBenchServer({ storage: 'discard', anonymous: true, skipMd5: true });
  try {
    const input: BenchInput = { kind: 'memory', data };
    const results = await measure(
      [
        ceiling(server.endpoint, input, DEFAULT_PART, DEFAULT_CONCURRENCY),
        ours(server.endpoint, input, { concurrency: DEFAULT_CONCURRENCY }),
      ],
      plan.runs,
      server,
      'client-ceiling',
      inputSize(input),
    );
    return {
      title: `Client ceiling: ${size(plan.bytes)} from memory → discard server without MD5 (benchmark mode), ${size(DEFAULT_PART)} parts × ${DEFAULT_CONCURRENCY}, median of ${plan.runs}`,
      columns: [
        'contender',
        'MB/s',
        'runs min–max',
        'client CPU s/GiB',
        'main thread s/GiB',
        'client cores busy',
        'MB/s per client core',
        'server CPU %',
      ],
      rows: [...results].map(([name, s]) => [
        name,
        round(s.mbps),
        spread(s.runs),
        round(s.cpuPerGiB, 2),
        round(s.mainPerGiB, 2),
        round(s.clientCores, 2),
        round(mbps(GiB, s.cpuPerGiB)),
        round(s.serverPct),
      ]),
      notes:
        'The server runs `oss-stream serve --skip-md5`: it does not MD5 the bodies (not OSS-faithful: its ETags come from ' +
        'the CRC-64), but still computes and returns the CRC-64, so oss-stream still verifies every byte. MB/s per client ' +
        'core = 1 GiB ÷ client CPU s/GiB: what one process could push if its CPU were the only limit. Server CPU well ' +
        `under 100 % means the server was not the limit. ${loadNote()}.`,
    };
  } finally {
    await server.stop();
  }
}

function inputFor(source: 'memory' | 'file', data: Buffer, file: string): BenchInput {
  return source === 'memory' ? { kind: 'memory', data } : { kind: 'file', path: file, size: data.length };
}

/** Runs the scenario; returns the default-options tables and the grid table. */
export async function run(opts: { quick?: boolean }): Promise<BenchTable[]> {
  const plan = opts.quick === true ? QUICK : FULL;
  const data = patternBuffer(plan.bytes);
  const file = await tempFile(data);
  const servers: Partial<Record<'discard' | 'disk', BenchServer>> = {};
  const serverFor = async (storage: 'discard' | 'disk'): Promise<BenchServer> =>
    (servers[storage] ??= await startBenchServer({ storage, anonymous: true }));
  const tables: BenchTable[] = [];
  let memoryDiscard: Map<string, Summary> | undefined;
  const discardBySource = new Map<string, Map<string, Summary>>();
  try {
    // One small upload per contender first, so JIT and connection set-up do not land in the first table.
    const warm = await serverFor('discard');
    const small: BenchInput = { kind: 'memory', data: data.subarray(0, WARMUP_BYTES) };
    await measure(
      [
        ceiling(warm.endpoint, small, DEFAULT_PART, DEFAULT_CONCURRENCY),
        ours(warm.endpoint, small, { concurrency: DEFAULT_CONCURRENCY }),
        ours(warm.endpoint, small, {}, AUTO),
        aliMultipart(warm.endpoint, small, DEFAULT_PART, DEFAULT_CONCURRENCY),
        aliPutStream(warm.endpoint, small),
      ],
      1,
      warm,
      'warmup',
      WARMUP_BYTES,
    );
    for (const combo of plan.combos) {
      const server = await serverFor(combo.storage);
      const input = inputFor(combo.source, data, file.path);
      const results = await measure(
        [
          ceiling(server.endpoint, input, DEFAULT_PART, DEFAULT_CONCURRENCY),
          ours(server.endpoint, input, { concurrency: DEFAULT_CONCURRENCY }),
          // The default window ('auto') beside the fixed one: on this server the pace is the server's, so this row
          // shows what auto costs (memory, CPU), not what it gains (see the link scenario).
          ...(combo.storage === 'discard' ? [ours(server.endpoint, input, {}, AUTO)] : []),
          // What `oss-stream cp` runs: parts read from the file into pooled buffers, a checkpoint saved once a second.
          ...(combo.storage === 'discard' && input.kind === 'file'
            ? [oursResumable(server.endpoint, input, { partSize: DEFAULT_PART, concurrency: DEFAULT_CONCURRENCY })]
            : []),
          aliMultipart(server.endpoint, input, DEFAULT_PART, DEFAULT_CONCURRENCY),
          aliPutStream(server.endpoint, input),
        ],
        combo.runs ?? plan.runs,
        server,
        `tp-${combo.source}`,
        inputSize(input),
      );
      if (combo.source === 'memory' && combo.storage === 'discard') memoryDiscard = results;
      if (combo.storage === 'discard') discardBySource.set(combo.source, results);
      tables.push(
        defaultTable(
          `from ${combo.source === 'memory' ? 'memory' : 'a file (page cache)'} → ${combo.storage} server`,
          results,
          plan,
          combo.runs ?? plan.runs,
        ),
      );
    }

    tables.push(cpuTable(discardBySource, plan));
    tables.push(await clientCeiling(plan, data));

    const server = await serverFor('discard');
    const input = inputFor('memory', data.subarray(0, plan.gridBytes), file.path);
    const rows: (string | number)[][] = [];
    for (const partSize of GRID_PARTS) {
      for (const concurrency of GRID_CONCURRENCY) {
        const reuse =
          partSize === DEFAULT_PART && concurrency === DEFAULT_CONCURRENCY && plan.gridBytes === plan.bytes
            ? memoryDiscard
            : undefined;
        const r =
          reuse ??
          (await measure(
            [
              ceiling(server.endpoint, input, partSize, concurrency),
              ours(server.endpoint, input, { partSize, concurrency }),
              aliMultipart(server.endpoint, input, partSize, concurrency),
            ],
            plan.gridRuns,
            server,
            `grid-${partSize}-${concurrency}`,
            plan.gridBytes,
          ));
        const c = r.get('ceiling (raw undici)')!;
        const o = r.get('oss-stream createUploadStream')!;
        const a = r.get('ali-oss multipartUpload')!;
        rows.push([
          `${size(partSize)} × ${concurrency}${reuse === undefined ? '' : ` (default, ${plan.runs} runs)`}`,
          round(c.mbps),
          round(o.mbps),
          round(a.mbps),
          ratio(o.mbps, c.mbps),
          ratio(o.mbps, a.mbps),
          ratio(c.mbps, a.mbps),
          round(o.cpuPerGiB, 2),
          round(a.cpuPerGiB, 2),
          round(c.cpuPerGiB, 2),
          round(c.serverPct),
        ]);
      }
    }
    tables.push({
      title: `Throughput grid: ${size(plan.gridBytes)} from memory → discard server, part size × concurrency, median of ${plan.gridRuns}`,
      columns: [
        'parts',
        'ceiling MB/s',
        'oss-stream MB/s',
        'ali-oss MB/s',
        'ours/ceiling',
        'ours/ali-oss',
        'ceiling/ali-oss (best possible)',
        'ours CPU s/GiB',
        'ali-oss CPU s/GiB',
        'ceiling CPU s/GiB',
        'server CPU % (ceiling)',
      ],
      rows,
      notes:
        `Targets: ours ≥ 0.9× ceiling and ≥ 2× ali-oss. ali-oss = multipartUpload of the buffer with the same partSize and parallel. ` +
        `ceiling/ali-oss is the most any client could reach against ali-oss on this server. With 32 MiB parts a ${size(plan.gridBytes)} object is only ` +
        `${plan.gridBytes / (32 * MiB)} parts: oss-stream fills each one (copy + CRC) before sending it, and allocates every part buffer fresh, which a longer stream amortizes. ${loadNote()}.`,
    });
  } finally {
    for (const s of Object.values(servers)) await s?.stop();
    await file.cleanup();
  }
  return tables;
}
