/**
 * Client CPU per GiB, focused: oss-stream's `createUploadStream` from memory and from a file, and its
 * `resumableUpload` of the file (what `oss-stream cp` runs), beside the raw-undici ceiling and ali-oss
 * `multipartUpload`, interleaved in one run against a discard server in a child process (so
 * this process's CPU is the client's). Prints, per contender, the median MB/s, total CPU s/GiB (all threads) and
 * the main thread's share, with every run's figure so the spread shows.
 *
 *   node --import tsx bench/tools/client-cpu.ts [--mib 512] [--runs 3] [--only ours] [--skip-md5]
 *
 * `--skip-md5` starts the server in its benchmark mode (no MD5; CRC-64 still returned and verified): the client's own
 * ceiling.
 */
import { parseArgs } from 'node:util';
import { startBenchServer } from '../support/child-server.js';
import { aliMultipart, ceiling, ours, oursResumable, type BenchInput, type Contender } from '../support/contenders.js';
import { patternBuffer, tempFile } from '../support/data.js';
import { GiB, MiB, loadNote, mbps, median } from '../support/measure.js';
import { rounds } from '../support/rounds.js';

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '512' },
    runs: { type: 'string', default: '3' },
    only: { type: 'string', multiple: true },
    'skip-md5': { type: 'boolean', default: false },
  },
});
const bytes = Number(values.mib) * MiB;
const data = patternBuffer(bytes);
const file = await tempFile(data);
const server = await startBenchServer({ storage: 'discard', anonymous: true, skipMd5: values['skip-md5'] });
const PART = 8 * MiB;
const CONCURRENCY = 4;
try {
  const mem: BenchInput = { kind: 'memory', data };
  const disk: BenchInput = { kind: 'file', path: file.path, size: bytes };
  const all: Contender[] = [
    { ...ceiling(server.endpoint, mem, PART, CONCURRENCY), name: 'ceiling memory' },
    ours(server.endpoint, mem, { concurrency: CONCURRENCY }, 'ours memory'),
    ours(server.endpoint, mem, {}, 'ours auto memory'),
    ours(server.endpoint, mem, { concurrency: CONCURRENCY, onProgress: () => {} }, 'ours progress memory'),
    { ...aliMultipart(server.endpoint, mem, PART, CONCURRENCY), name: 'ali-oss memory' },
    { ...ceiling(server.endpoint, disk, PART, CONCURRENCY), name: 'ceiling file' },
    ours(server.endpoint, disk, { concurrency: CONCURRENCY }, 'ours file'),
    oursResumable(server.endpoint, disk, { partSize: PART, concurrency: CONCURRENCY }, 'ours resumable file'),
    { ...aliMultipart(server.endpoint, disk, PART, CONCURRENCY), name: 'ali-oss file' },
  ];
  const picked = values.only?.length ? all.filter((c) => values.only!.some((o) => c.name.includes(o))) : all;
  // warm-up: JIT, connections, the part-buffer pool
  await rounds(picked, 1, server.process.pid, 'warm');
  const samples = await rounds(picked, Number(values.runs), server.process.pid, 'cpu');
  const gib = bytes / GiB;
  const f = (x: number): string => x.toFixed(2);
  const mode = values['skip-md5'] ? ', server --skip-md5' : '';
  console.log(`${values.mib} MiB, ${values.runs} runs${mode}, ${loadNote()}`);
  console.log('contender            MB/s   total s/GiB (runs)              main s/GiB (runs)               server %');
  for (const [name, s] of samples) {
    const total = s.map((x) => x.clientCpu / gib);
    const main = s.map((x) => x.clientMainCpu / gib);
    const wall = s.reduce((a, x) => a + x.seconds, 0);
    const srv = (100 * s.reduce((a, x) => a + x.serverCpu, 0)) / wall;
    console.log(
      `${name.padEnd(20)} ${median(s.map((x) => mbps(bytes, x.seconds)))
        .toFixed(0)
        .padStart(4)}   ${f(median(total))} (${total.map(f).join(' ')})`.padEnd(56) +
        `${f(median(main))} (${main.map(f).join(' ')})`.padEnd(32) +
        srv.toFixed(0),
    );
  }
  for (const c of picked) await c.close();
} finally {
  await server.stop();
  await file.cleanup();
}
