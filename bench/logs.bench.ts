/**
 * Scenario: log shipping. Two tables.
 *
 * 1. pino → `oss-stream/pino` → the local server, against pino → a local file (sonic-boom): lines/s of ~200 B lines
 *    and the logging process's CPU (all threads), gzip off and on. Each run is its own process (workers/pino-worker).
 * 2. `oss-stream ship` following a file that a writer appends to at full speed: MB/s until everything is shipped,
 *    the lag (bytes behind) when the writer stops, and the shipper's RSS over the run (flat = bounded memory).
 *
 *   node --import tsx bench/run.ts --only logs [--quick]
 *
 * The server runs in a child process with discard storage (append positions and CRC chains are kept).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Auth, Bucket } from './support/lib.js';
import { BENCH, withBenchServer } from './support/child-server.js';
import { runWorker } from './support/child-job.js';
import { BENCH_SOURCE } from './support/lib.js';
import { loadNote, median, round } from './support/measure.js';
import type { BenchTable } from './table.js';
import type { PinoJob, PinoReport } from './workers/pino-worker.js';

const PINO_WORKER = new URL('./workers/pino-worker.ts', import.meta.url);
const CLI =
  BENCH_SOURCE === 'dist'
    ? [fileURLToPath(new URL('../dist/cli.js', import.meta.url))]
    : ['--import', 'tsx', fileURLToPath(new URL('../lib/cli/main.ts', import.meta.url))];

const WRITER = `
import { openSync, writeSync, closeSync } from 'node:fs';
const [path, total] = [process.argv[2], Number(process.argv[3])];
const fd = openSync(path, 'a');
const line = 'x'.repeat(199) + '\\n';
const chunk = line.repeat(256);
let written = 0;
while (written < total) { writeSync(fd, chunk); written += chunk.length; }
closeSync(fd);
process.stdout.write(String(written));
`;

/** Resident memory of another process (Linux), KiB; NaN elsewhere. */
function rssKiB(pid: number | undefined): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN);
  } catch {
    return Number.NaN;
  }
}

async function pinoTable(quick: boolean): Promise<BenchTable> {
  const count = quick ? 50_000 : 500_000;
  const runs = quick ? 1 : 3;
  const dir = await mkdtemp(join(tmpdir(), 'bench-logs-'));
  try {
    return await withBenchServer({ storage: 'discard' }, async (server) => {
      const results = new Map<PinoJob['sink'], PinoReport[]>();
      for (let r = 0; r < runs; r++) {
        for (const sink of ['file', 'oss', 'oss-gzip'] as const) {
          const job: PinoJob = {
            sink,
            count,
            file: join(dir, `pino-${r}.log`),
            endpoint: server.endpoint,
            bucket: BENCH.bucket,
            key: `pino/${sink}-${r}-{seq}.log`,
          };
          // The transport reads its credentials from the environment, which the worker inherits.
          Object.assign(process.env, {
            OSS_ACCESS_KEY_ID: BENCH.accessKeyId,
            OSS_ACCESS_KEY_SECRET: BENCH.accessKeySecret,
          });
          const rep = await runWorker<PinoReport>(PINO_WORKER, job);
          results.set(sink, [...(results.get(sink) ?? []), rep]);
        }
      }
      const med = (sink: PinoJob['sink']) => ({
        seconds: median(results.get(sink)!.map((x) => x.seconds)),
        cpu: median(results.get(sink)!.map((x) => x.cpuSeconds)),
      });
      const file = med('file');
      const row = (name: string, m: { seconds: number; cpu: number }): (string | number)[] => [
        name,
        round(count / m.seconds),
        round(count / m.seconds / (count / file.seconds), 2),
        round(m.cpu, 2),
        round((m.cpu / count) * 1e6, 1),
      ];
      return {
        title: `pino → oss-stream/pino vs pino → file: ${count.toLocaleString('en')} lines of ~200 B, median of ${runs}`,
        columns: ['destination', 'lines/s', '÷ file', 'CPU s (all threads)', 'CPU µs/line'],
        rows: [
          row('pino.destination (sonic-boom, local file)', file),
          row('oss-stream/pino (gzip off)', med('oss')),
          row('oss-stream/pino (gzip on, level 6)', med('oss-gzip')),
        ],
        notes: `Timed from the first log call until every line is stored (file closed; transport ended). Target: gzip off ≥ 0.8× the file's lines/s. ${loadNote()}.`,
      };
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function shipTable(quick: boolean): Promise<BenchTable> {
  const total = quick ? 32 * 1024 * 1024 : 256 * 1024 * 1024;
  const dir = await mkdtemp(join(tmpdir(), 'bench-ship-'));
  try {
    return await withBenchServer({ storage: 'discard' }, async (server) => {
      const log = join(dir, 'app.log');
      await writeFile(log, '');
      await writeFile(join(dir, 'writer.mjs'), WRITER);
      const env = {
        ...process.env,
        OSS_ENDPOINT: server.endpoint,
        OSS_ACCESS_KEY_ID: BENCH.accessKeyId,
        OSS_ACCESS_KEY_SECRET: BENCH.accessKeySecret,
      };
      const shipper = spawn(
        process.execPath,
        [...CLI, 'ship', log, `oss://${BENCH.bucket}/ship/app-{seq}.log`, '--state-dir', join(dir, 'state')],
        { env, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let err = '';
      shipper.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      // The clock starts once the shipper follows the file (as a running daemon does), not at its process start-up.
      while (!err.includes('ship: following')) {
        if (shipper.exitCode !== null) throw new Error(`ship exited with ${shipper.exitCode}: ${err}`);
        await once(shipper.stderr!, 'data');
      }
      const rss: number[] = [];
      const sampler = setInterval(() => rss.push(rssKiB(shipper.pid)), 100);
      const t0 = performance.now();
      const writer = spawn(process.execPath, [join(dir, 'writer.mjs'), log, String(total)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let written = '';
      writer.stdout!.on('data', (d: Buffer) => (written += d.toString()));
      await once(writer, 'exit');
      const writerSeconds = (performance.now() - t0) / 1000;
      const bucket = new Bucket(new Auth(BENCH.accessKeyId, BENCH.accessKeySecret), server.endpoint, BENCH.bucket);
      const stored = async (): Promise<number> => {
        let sum = 0;
        for (let seq = 0; ; seq++) {
          try {
            sum += (await bucket.headObject(`ship/app-${seq}.log`)).size;
          } catch {
            return sum;
          }
        }
      };
      const lag = Number(written) - (await stored());
      while ((await stored()) < Number(written)) await new Promise((r) => setTimeout(r, 50));
      const seconds = (performance.now() - t0) / 1000;
      clearInterval(sampler);
      shipper.kill('SIGTERM');
      const [code] = await once(shipper, 'exit');
      await bucket.close();
      if (code !== 0) throw new Error(`ship exited with ${code}: ${err}`);
      const mem = rss.filter((x) => Number.isFinite(x));
      const q = (f: number) =>
        mem.length === 0 ? Number.NaN : [...mem].sort((a, b) => a - b)[Math.floor(f * (mem.length - 1))]!;
      return {
        title: `oss-stream ship following a file written at full speed: ${round(total / 1048576)} MiB of 200 B lines`,
        columns: [
          'writer MB/s',
          'ship MB/s (until all stored)',
          'lag when the writer stopped',
          'shipper RSS MiB (median / max)',
        ],
        rows: [
          [
            round(total / 1e6 / writerSeconds),
            round(total / 1e6 / seconds),
            `${round(lag / 1048576, 1)} MiB`,
            `${round(q(0.5) / 1024)} / ${round(q(1) / 1024)}`,
          ],
        ],
        notes: `Timed from the writer's start, the shipper already following the file. Default batching (1 MiB, 1 s), no gzip; the shipper is a child process (${BENCH_SOURCE === 'dist' ? 'dist/cli.js' : 'tsx'}). ${loadNote()}.`,
      };
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs the scenario; two tables. */
export async function run(opts: { quick?: boolean }): Promise<BenchTable[]> {
  const quick = opts.quick === true;
  return [await pinoTable(quick), await shipTable(quick)];
}
