/**
 * One pino logging run in its own process, for the logs scenario: `count` lines of about 200 B through pino into
 * a local file (sonic-boom, `pino.destination`) or into OSS with the `oss-stream/pino` transport (worker thread),
 * timed until every line is stored. Prints one JSON line ({@link PinoReport}): wall seconds and the process's CPU
 * seconds (all threads, the transport's worker included).
 *
 *   node --import tsx bench/workers/pino-worker.ts '<json PinoJob>'
 */
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { BENCH_SOURCE } from '../support/lib.js';

export interface PinoJob {
  sink: 'file' | 'oss' | 'oss-gzip';
  count: number;
  /** For `file`: the path. */
  file?: string;
  /** For the OSS sinks. */
  endpoint?: string;
  bucket?: string;
  key?: string;
}

export interface PinoReport {
  seconds: number;
  /** Until the last log call returned (the rest is the destination draining). */
  loopSeconds: number;
  cpuSeconds: number;
}

const job = JSON.parse(process.argv[2]!) as PinoJob;
// The transport as users load it: the built package; with BENCH_SOURCE=lib, the examples' shim over the sources.
const target = fileURLToPath(
  new URL(BENCH_SOURCE === 'dist' ? '../../dist/pino.js' : '../../examples/_pino-target.mjs', import.meta.url),
);
const stream =
  job.sink === 'file'
    ? pino.destination({ dest: job.file!, sync: false, minLength: 4096 })
    : pino.transport({
        target,
        options: {
          endpoint: job.endpoint,
          bucket: job.bucket,
          key: job.key,
          compress: job.sink === 'oss-gzip' ? 'gzip' : 'none',
        },
      });
await once(stream, 'ready');
const logger = pino(stream);
const pad = 'x'.repeat(40);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < job.count; i++) logger.info({ path: '/api/v1/items', status: 200, i, pad }, 'request served');
const loopSeconds = (performance.now() - t0) / 1000;
// Until stored: sonic-boom writes its buffer out; the transport's end() waits for the worker to store and close.
if (job.sink === 'file') {
  (stream as ReturnType<typeof pino.destination>).flushSync();
  (stream as ReturnType<typeof pino.destination>).end();
} else {
  stream.end();
}
await once(stream, job.sink === 'file' ? 'close' : 'finish');
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const report: PinoReport = { seconds, loopSeconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
process.stdout.write(`${JSON.stringify(report)}\n`);
process.exit(0);
