/**
 * Scenario 5, append stream: 1 M log lines of 200 B written one by one (an object-mode Readable of strings piped
 * into the sink, as a logger would) through `createAppendStream` with its defaults (1 MiB batches, 1 s timer),
 * against one AppendObject per line (measured on a sample of lines in sequence, appends being ordered by nature,
 * then extrapolated) and against `createUploadStream` (multipart) of the same lines.
 *
 *   node --import tsx bench/run.ts --only append [--quick]
 *
 * Requests are counted from the results (`appends`, `parts`): the server runs in a child process (discard storage,
 * which keeps the append positions and CRC chain).
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Auth, Bucket, createAppendStream, createUploadStream } from './support/lib.js';
import { BENCH, withBenchServer } from './support/child-server.js';
import { loadNote, median, mbps, ratio, round } from './support/measure.js';
import type { BenchTable } from './table.js';

const LINE_BYTES = 200;
const DISTINCT = 1024;

/** `DISTINCT` different ASCII lines of exactly `LINE_BYTES` bytes, newline included. */
function makeLines(): string[] {
  return Array.from({ length: DISTINCT }, (_, i) => {
    const head = `2026-11-26T04:00:00.${String(i).padStart(4, '0')}Z INFO request served path=/api/v1/items/${i} status=200 `;
    return `${head}${'x'.repeat(LINE_BYTES - 1 - head.length)}\n`;
  });
}

function lineSource(lines: readonly string[], count: number): Readable {
  function* gen(): Generator<string> {
    for (let i = 0; i < count; i++) yield lines[i % DISTINCT]!;
  }
  return Readable.from(gen());
}

/** Runs the scenario; one table. */
export async function run(opts: { quick?: boolean }): Promise<BenchTable> {
  const quick = opts.quick === true;
  const count = quick ? 100_000 : 1_000_000;
  const runs = quick ? 1 : 3;
  const sample = quick ? 300 : 2000;
  const bytes = count * LINE_BYTES;
  const lines = makeLines();
  return withBenchServer({ storage: 'discard' }, async (server) => {
    const bucket = new Bucket(new Auth(BENCH.accessKeyId, BENCH.accessKeySecret), server.endpoint, BENCH.bucket);
    try {
      const appendTimes: number[] = [];
      const multipartTimes: number[] = [];
      let appends = 0;
      let parts = 0;
      for (let r = 0; r < runs; r++) {
        let t = performance.now();
        const sink = createAppendStream(bucket, `append/stream-${r}`);
        await pipeline(lineSource(lines, count), sink);
        appendTimes.push((performance.now() - t) / 1000);
        if (sink.result?.size !== bytes) throw new Error(`append stream stored ${sink.result?.size} of ${bytes} bytes`);
        appends = sink.result.appends;

        t = performance.now();
        const up = createUploadStream(bucket, `append/multipart-${r}`);
        await pipeline(lineSource(lines, count), up);
        multipartTimes.push((performance.now() - t) / 1000);
        if (up.result?.size !== bytes) throw new Error(`multipart stored ${up.result?.size} of ${bytes} bytes`);
        parts = up.result.parts?.length ?? 1;
      }

      // One append per line, in sequence: each must know the previous one's next position.
      let position = 0;
      const t0 = performance.now();
      for (let i = 0; i < sample; i++) {
        const r = await bucket.appendObject('append/per-line', position, lines[i % DISTINCT]!);
        position = r.nextPosition;
      }
      const perLine = (performance.now() - t0) / 1000 / sample;

      const a = median(appendTimes);
      const m = median(multipartTimes);
      const p = perLine * count;
      const row = (name: string, requests: number, seconds: number): (string | number)[] => [
        name,
        requests,
        round(seconds, 2),
        round(mbps(bytes, seconds)),
        round(count / seconds),
        ratio(seconds, a),
      ];
      return {
        title: `Append stream: ${count.toLocaleString('en')} lines of ${LINE_BYTES} B (${round(bytes / 1e6)} MB), median of ${runs}`,
        columns: ['method', 'requests', 'seconds', 'MB/s', 'lines/s', 'time ÷ append stream'],
        rows: [
          row('createAppendStream (1 MiB batches, 1 s timer)', appends, a),
          row('createUploadStream (multipart, 8 MiB × 4)', parts + 2, m),
          row(`one AppendObject per line (computed from ${sample} in sequence)`, count, p),
        ],
        notes: `Multipart requests = parts + initiate + complete. Per-line latency ${round(perLine * 1e6)} µs. ${loadNote()}.`,
      };
    } finally {
      await bucket.close();
    }
  });
}
