// A process that logs through a spooled log sink and reports each acknowledged line on stdout, for spool.spec.ts
// to SIGKILL at a random instant. argv: endpoint, key template, spool dir, run id, lines.
import { Auth, Bucket, createLogSink } from 'oss-stream';

const [endpoint, key, dir, run, count] = process.argv.slice(2) as [string, string, string, string, string];
const bucket = new Bucket(new Auth('spool-ak', 'spool-sk'), endpoint, 'spool-spec', {
  retryBaseDelayMs: 1,
  retryMaxDelayMs: 20,
});
const sink = createLogSink(bucket, { key, flushBytes: 2048, flushIntervalMs: 20, spool: { dir, fsyncIntervalMs: 50 } });
sink.on('error', (err) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
let acked = -1;
for (let i = 0; i < Number(count); i++) {
  await new Promise<void>((resolve, reject) =>
    sink.write(`run ${run} line ${i}\n`, (err) => (err ? reject(err) : resolve())),
  );
  acked = i;
  if (i % 50 === 0) process.stdout.write(`${acked}\n`);
  if (i % 200 === 199) await new Promise((r) => setImmediate(r));
}
process.stdout.write(`${acked}\n`);
sink.end();
sink.on('finish', () => {
  process.stdout.write('finished\n');
  void bucket.close();
});
