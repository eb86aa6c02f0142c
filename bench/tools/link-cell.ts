/**
 * One cell of the link scenario, run again and again: the spread of oss-stream (default options) and of the raw-undici
 * ceiling at one concurrency, each contender's first (cold) run beside its warm ones, with client CPU and page
 * faults per run. The full scenario cannot show these (one run per contender).
 *
 *   node --import tsx bench/tools/link-cell.ts --rtt 1 --conn 32 --all 200 [--mib 256] [--runs 3] [--ceiling 8]
 *     [--no-ceiling] [--fixed 8 --fixed 16] [--ceiling-first] [--keep-open]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startBenchServer } from '../support/child-server.js';
import { ceiling, ours, type BenchInput, type Contender } from '../support/contenders.js';
import { patternBuffer } from '../support/data.js';
import { MiB, loadNote, mbps } from '../support/measure.js';
import { rounds, type RunSample } from '../support/rounds.js';

const { values } = parseArgs({
  options: {
    rtt: { type: 'string', default: '1' },
    conn: { type: 'string', default: '32' },
    all: { type: 'string', default: '200' },
    mib: { type: 'string', default: '256' },
    runs: { type: 'string', default: '3' },
    ceiling: { type: 'string', default: '8' },
    'no-ceiling': { type: 'boolean', default: false },
    fixed: { type: 'string', multiple: true },
    'ceiling-first': { type: 'boolean', default: false },
    'keep-open': { type: 'boolean', default: false },
  },
});
const bytes = Number(values.mib) * MiB;
const server = await startBenchServer({ storage: 'discard', anonymous: true });
const worker = fileURLToPath(new URL('../workers/link-proxy-worker.ts', import.meta.url));
const job = {
  target: server.endpoint,
  rttMs: Number(values.rtt),
  perConnectionBytesPerSecond: Number(values.conn) * 1e6,
  aggregateBytesPerSecond: Number(values.all) * 1e6,
};
const child = spawn(process.execPath, ['--import', 'tsx', worker, JSON.stringify(job)], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const [line] = (await once(child.stdout, 'data')) as [Buffer];
const endpoint = (JSON.parse(line.toString().trim().split('\n')[0]!) as { endpoint: string }).endpoint;
try {
  const input: BenchInput = { kind: 'memory', data: patternBuffer(bytes) };
  const faults = new Map<string, number[]>();
  const counted = (c: Contender): Contender => ({
    ...c,
    async upload(key) {
      const f0 = process.resourceUsage().minorPageFault;
      await c.upload(key);
      const list = faults.get(c.name) ?? [];
      list.push(process.resourceUsage().minorPageFault - f0);
      faults.set(c.name, list);
    },
  });
  const contenders: Contender[] = [
    counted(ours(endpoint, input, {}, 'ours default')),
    { ...ceiling(endpoint, input, 8 * MiB, Number(values.ceiling)), name: `ceiling c=${values.ceiling}` },
    ...(values.fixed ?? []).map((c) => counted(ours(endpoint, input, { concurrency: Number(c) }, `ours fixed ${c}`))),
  ].filter((c) => !(values['no-ceiling'] && c.name.startsWith('ceiling')));
  if (values['ceiling-first']) contenders.reverse();
  // Each contender once untimed right before its timed runs: warm connections and part buffers for everyone.
  const samples = new Map<string, RunSample[]>();
  for (const c of contenders) {
    const cold = await rounds([c], 1, server.process.pid, 'cold');
    const warm = await rounds([c], Number(values.runs), server.process.pid, 'warm');
    samples.set(c.name, [...cold.get(c.name)!, ...warm.get(c.name)!]);
    // Its connections closed before the next contender runs, as in the full scenario: another client's idle pool
    // on the link cost oss-stream a fifth of its rate here (see bench/link.bench.ts).
    if (!values['keep-open']) await c.close();
  }
  console.log(`${values.rtt} ms, ${values.conn}/conn, ${values.all} all, ${values.mib} MiB. ${loadNote()}`);
  for (const [name, s] of samples) {
    const rates = s.map((x) => String(Math.round(mbps(bytes, x.seconds)))).join(' ');
    const cpu = s.map((x) => (x.clientCpu / (bytes / 2 ** 30)).toFixed(2)).join(' ');
    console.log(name.padEnd(16), rates, '| CPU s/GiB', cpu, '| minor faults', (faults.get(name) ?? []).join(' '));
  }
} finally {
  child.kill('SIGTERM');
  await server.stop();
}
process.exit(0);
