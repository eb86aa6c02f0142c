/**
 * Scenario 4, small objects: 1 KiB PutObjects with 16 in flight, ops/s of oss-stream's `bucket.putObject` against
 * ali-oss `put`, each with V1 and V4 signatures, on a discard server (child process) that verifies every signature.
 *
 *   node --import tsx bench/run.ts --only small-objects [--quick]
 *
 * Rounds are interleaved so that noise hits every contender alike; each cell is the median over rounds. The
 * server is one Node process on one core: its CPU column shows when it, not the client, set the pace.
 */
import { Auth, Bucket } from './support/lib.js';
import { BENCH, withBenchServer } from './support/child-server.js';
import { aliClient } from './support/contenders.js';
import { KiB, loadNote, median, ratio, round } from './support/measure.js';
import { rounds } from './support/rounds.js';
import type { BenchTable } from './table.js';

const IN_FLIGHT = 16;
const OBJECT = Buffer.alloc(KiB, 0x61);
/** Keys cycle over this many names, so the server's metadata map stays small. */
const KEYS = 256;

/** Runs `op(i)` for i in [0, total) with `inFlight` at a time. */
async function saturate(total: number, inFlight: number, op: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < total; i = next++) await op(i);
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

/** Runs the scenario; one table. */
export async function run(opts: { quick?: boolean }): Promise<BenchTable> {
  const quick = opts.quick === true;
  const ops = quick ? 1000 : 4000;
  const runs = quick ? 2 : 5;
  return withBenchServer({ storage: 'discard' }, async (server) => {
    const auth = new Auth(BENCH.accessKeyId, BENCH.accessKeySecret);
    const oursV4 = new Bucket(auth, server.endpoint, BENCH.bucket, { connectionPoolSize: IN_FLIGHT });
    const oursV1 = new Bucket(auth, server.endpoint, BENCH.bucket, {
      connectionPoolSize: IN_FLIGHT,
      signatureVersion: 'v1',
    });
    const aliV1 = aliClient(server.endpoint);
    const aliV4 = aliClient(server.endpoint, { authorizationV4: true });
    const puts: { name: string; put: (key: string) => Promise<unknown> }[] = [
      { name: 'oss-stream putObject, V4 (default)', put: (k) => oursV4.putObject(k, OBJECT) },
      { name: 'oss-stream putObject, V1', put: (k) => oursV1.putObject(k, OBJECT) },
      { name: 'ali-oss put, V1 (default)', put: (k) => aliV1.put(k, OBJECT) },
      { name: 'ali-oss put, V4', put: (k) => aliV4.put(k, OBJECT) },
    ];
    const batch = (count: number) =>
      puts.map((c) => ({
        name: c.name,
        upload: (prefix: string) => saturate(count, IN_FLIGHT, (i) => c.put(`${prefix}/${i % KEYS}`)),
      }));
    try {
      // Warm-up: JIT, connections, V4 signing-key caches.
      await rounds(batch(200), 1, undefined, 'warm');
      const contenders = batch(ops);
      const samples = await rounds(contenders, runs, server.process.pid, 'small');
      const summary = new Map(
        [...samples].map(([name, s]) => [
          name,
          {
            opsPerSec: median(s.map((x) => ops / x.seconds)),
            clientUs: (median(s.map((x) => x.clientCpu)) / ops) * 1e6,
            serverPct: (100 * s.reduce((a, x) => a + x.serverCpu, 0)) / s.reduce((a, x) => a + x.seconds, 0),
          },
        ]),
      );
      const ali = summary.get('ali-oss put, V1 (default)')!.opsPerSec;
      const aliSame = (name: string): number =>
        summary.get(name.includes('V4') ? 'ali-oss put, V4' : 'ali-oss put, V1 (default)')!.opsPerSec;
      return {
        title: `Small objects: 1 KiB PutObject, ${IN_FLIGHT} in flight, ${ops} puts per run, median of ${runs}`,
        columns: [
          'contender',
          'ops/s',
          'client CPU µs/op',
          'server CPU %',
          '÷ ali-oss default',
          '÷ ali-oss same signature',
        ],
        rows: [...summary].map(([name, s]) => [
          name,
          round(s.opsPerSec),
          round(s.clientUs),
          round(s.serverPct),
          ratio(s.opsPerSec, ali),
          ratio(s.opsPerSec, aliSame(name)),
        ]),
        notes: `Target: oss-stream ≥ 1.5× ali-oss ops/s. ${loadNote()}.`,
      };
    } finally {
      await oursV4.close();
      await oursV1.close();
    }
  });
}
