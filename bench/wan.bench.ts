/**
 * Scenario 7, a WAN-like link: the same local server behind a proxy that paces every TCP connection to a fixed
 * rate, as a long-distance link does to each flow (its throughput bounded by window ÷ round trip). On loopback the
 * server's hashing sets every contender's pace; over such a link, how many connections carry the bytes does. An
 * unknown-length stream is where it matters: ali-oss can only send it as one chunked PUT (`putStream`), while
 * `createUploadStream` spreads it over `concurrency` parts.
 *
 *   node --import tsx bench/run.ts --only wan [--quick]
 */
import { startLinkProxy } from '../spec/support/link-model.js';
import { startBenchServer } from './support/child-server.js';
import { aliMultipart, aliPutStream, ceiling, ours, type BenchInput } from './support/contenders.js';
import { patternBuffer } from './support/data.js';
import { MiB, loadNote, mbps, median, ratio, round } from './support/measure.js';
import { rounds } from './support/rounds.js';
import type { BenchTable } from './table.js';

const PER_CONNECTION = 16 * 1_000_000; // bytes per second, per TCP connection

export async function run(opts: { quick?: boolean } = {}): Promise<BenchTable> {
  const bytes = (opts.quick ? 48 : 128) * MiB;
  const runs = opts.quick ? 1 : 3;
  const partSize = 8 * MiB;
  const concurrency = 4;
  const server = await startBenchServer({ storage: 'discard', anonymous: true });
  const proxy = await startLinkProxy(server.endpoint, {
    rttMs: 0,
    perConnectionBytesPerSecond: PER_CONNECTION,
    aggregateBytesPerSecond: Infinity,
  });
  try {
    const input: BenchInput = { kind: 'memory', data: patternBuffer(bytes) };
    const contenders = [
      ceiling(proxy.endpoint, input, partSize, concurrency),
      ours(proxy.endpoint, input, { partSize, concurrency }, 'oss-stream createUploadStream (unknown length)'),
      aliPutStream(proxy.endpoint, input),
      aliMultipart(proxy.endpoint, input, partSize, concurrency),
    ];
    try {
      const samples = await rounds(contenders, runs, server.process.pid, 'wan');
      const rate = (name: string) => mbps(bytes, median(samples.get(name)!.map((s) => s.seconds)));
      const oursRate = rate(contenders[1]!.name);
      return {
        title: `WAN-like link: every connection paced to ${PER_CONNECTION / 1e6} MB/s, ${bytes / MiB} MiB, 8 MiB parts × 4, median of ${runs}`,
        columns: ['contender', 'MB/s', 'oss-stream ÷ this'],
        rows: contenders.map((c) => {
          const r = rate(c.name);
          return [c.name, round(r), c === contenders[1] ? '' : ratio(oursRate, r)];
        }),
        notes:
          'ali-oss putStream is the only way ali-oss takes a stream of unknown length (one chunked PutObject: one ' +
          'connection); its multipartUpload needs the whole input up front (here: the same buffer). ' +
          loadNote(),
      };
    } finally {
      await Promise.all(contenders.map((c) => c.close()));
    }
  } finally {
    await proxy.close();
    await server.stop();
  }
}
