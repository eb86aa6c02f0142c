/**
 * The small-object workload to profile: `bucket.putObject` of 1 KiB, 16 in flight, against a discard server in a
 * child process (signatures verified), so the profile holds the client alone.
 *
 *   node --cpu-prof --cpu-prof-dir=bench/out/prof-puts --import tsx bench/tools/profile-puts.ts [--ops 20000] [--v1]
 *   node --import tsx bench/tools/cpuprofile-top.ts bench/out/prof-puts/<main thread file>.cpuprofile --window bench/out/puts-window.json
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Auth, Bucket } from '../../lib/index.js';
import { BENCH, startBenchServer } from '../support/child-server.js';
import { selfCpuSeconds } from '../support/measure.js';

const { values } = parseArgs({
  options: { ops: { type: 'string', default: '20000' }, v1: { type: 'boolean', default: false } },
});
const ops = Number(values.ops);
const body = Buffer.alloc(1024, 0x61);
const server = await startBenchServer({ storage: 'discard' });
try {
  const bucket = new Bucket(new Auth(BENCH.accessKeyId, BENCH.accessKeySecret), server.endpoint, BENCH.bucket, {
    connectionPoolSize: 16,
    signatureVersion: values.v1 ? 'v1' : 'v4',
  });
  const batch = async (n: number): Promise<void> => {
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let i = next++; i < n; i = next++) await bucket.putObject(`puts/${i % 256}`, body);
      }),
    );
  };
  await batch(500); // warm-up: JIT and connections, outside the window
  const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);
  const from = nowUs();
  const cpu0 = selfCpuSeconds();
  const t0 = performance.now();
  await batch(ops);
  const s = (performance.now() - t0) / 1000;
  const to = nowUs();
  process.stderr.write(
    `${ops} puts: ${(ops / s).toFixed(0)} ops/s, client CPU ${(((selfCpuSeconds() - cpu0) / ops) * 1e6).toFixed(0)} µs/op\n`,
  );
  await bucket.close();
  const out = new URL('../out/', import.meta.url);
  mkdirSync(out, { recursive: true });
  writeFileSync(new URL('puts-window.json', out), JSON.stringify({ fromUs: from, toUs: to }));
} finally {
  await server.stop();
}
