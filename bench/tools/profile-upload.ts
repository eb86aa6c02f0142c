/**
 * The workload to profile: oss-stream's `createUploadStream` sending 1 GiB from memory (64 KiB views, unknown
 * length) to a discard server in a child process, so the profile holds the client alone.
 *
 *   node --cpu-prof --cpu-prof-dir=bench/out/prof --import tsx bench/tools/profile-upload.ts [--mib 1024] [--part-mib 8] [--concurrency 4|auto] [--runs 3]
 *   node --import tsx bench/tools/cpuprofile-top.ts bench/out/prof/<main thread file>.cpuprofile --window bench/out/upload-window.json
 *
 * The uploads' time window (monotonic µs, the clock V8's profiler stamps samples with) is written to
 * bench/out/upload-window.json so the summary can leave out start-up and building the 1 GiB buffer. Profiles go to
 * bench/out/ (git-ignored, as is every *.cpuprofile).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startBenchServer } from '../support/child-server.js';
import { ours } from '../support/contenders.js';
import { patternBuffer } from '../support/data.js';
import { MiB, mbps, selfCpuSeconds } from '../support/measure.js';

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '1024' },
    'part-mib': { type: 'string', default: '8' },
    concurrency: { type: 'string', default: '4' },
    runs: { type: 'string', default: '3' },
  },
});
const bytes = Number(values.mib) * MiB;
const data = patternBuffer(bytes);
const server = await startBenchServer({ storage: 'discard', anonymous: true });
try {
  const c = ours(
    server.endpoint,
    { kind: 'memory', data },
    {
      partSize: Number(values['part-mib']) * MiB,
      concurrency: values.concurrency === 'auto' ? 'auto' : Number(values.concurrency),
    },
  );
  const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);
  const from = nowUs();
  for (let r = 0; r < Number(values.runs); r++) {
    const cpu0 = selfCpuSeconds();
    const t0 = performance.now();
    await c.upload(`profile/${r}`);
    const s = (performance.now() - t0) / 1000;
    process.stderr.write(
      `run ${r + 1}: ${mbps(bytes, s).toFixed(0)} MB/s, client CPU ${(selfCpuSeconds() - cpu0).toFixed(2)} s for ${values.mib} MiB\n`,
    );
  }
  const to = nowUs();
  await c.close();
  const out = new URL('../out/', import.meta.url);
  mkdirSync(out, { recursive: true });
  writeFileSync(new URL('upload-window.json', out), JSON.stringify({ fromUs: from, toUs: to }));
} finally {
  await server.stop();
}
