/**
 * The full fault matrix: every cell of `fault-matrix.ts` with random seeds, then a table `cell, runs, passed`.
 * Exits 1 when any trial failed.
 *
 *   node --import tsx spec/reliability/soak.ts
 *
 * Environment:
 * - `SOAK_RUNS` (default 50): trials per cell.
 * - `SOAK_WORKERS` (default 4): trials in parallel, each worker with its own server (faults are per server).
 * - `SOAK_CELL`: only cells whose id contains this (`multipart`, `×timeout`, `put-stream×reset`).
 * - `SOAK_SEED`: replay this one seed (with `SOAK_CELL`) instead of random ones; prints the trial's parameters.
 */
import { randomInt } from 'node:crypto';
import { CELLS, MatrixEnv, runTrial, type Cell, type TrialResult } from './fault-matrix.js';

function envInt(name: string, dflt: number, min: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min}, got ${v}`);
  return n;
}

interface Row {
  cell: Cell;
  runs: number;
  passed: number;
  failures: TrialResult[];
  ms: number;
}

async function main(): Promise<number> {
  const runs = envInt('SOAK_RUNS', 50, 1);
  const workers = envInt('SOAK_WORKERS', 4, 1);
  const filter = process.env.SOAK_CELL ?? '';
  const fixedSeed =
    process.env.SOAK_SEED === undefined || process.env.SOAK_SEED === '' ? undefined : envInt('SOAK_SEED', 0, 0);
  const cells = CELLS.filter((c) => c.id.includes(filter));
  if (cells.length === 0)
    throw new Error(`no cell matches SOAK_CELL=${filter}; cells: ${CELLS.map((c) => c.id).join(', ')}`);

  const rows = new Map<string, Row>(cells.map((c) => [c.id, { cell: c, runs: 0, passed: 0, failures: [], ms: 0 }]));
  // Round-robin over cells, so a slow cell (timeouts) does not run all at once on every worker.
  const queue: { cell: Cell; seed: number }[] = [];
  const perCell = fixedSeed === undefined ? runs : 1;
  for (let i = 0; i < perCell; i++)
    for (const cell of cells) queue.push({ cell, seed: fixedSeed ?? randomInt(0, 2 ** 31) });

  const started = performance.now();
  let done = 0;
  const total = queue.length;
  const envs = await Promise.all(Array.from({ length: Math.min(workers, queue.length) }, () => MatrixEnv.start()));
  try {
    await Promise.all(
      envs.map(async (env) => {
        for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
          const r = await runTrial(env, job.cell, job.seed);
          const row = rows.get(r.cell)!;
          row.runs++;
          row.ms += r.ms;
          if (r.pass) row.passed++;
          else row.failures.push(r);
          if (!r.pass) {
            console.log(`FAIL  ${r.cell} seed=${r.seed}: ${r.reason}\n      ${r.params}`);
            console.log(
              `      replay: SOAK_CELL='${r.cell}' SOAK_SEED=${r.seed} node --import tsx spec/reliability/soak.ts`,
            );
          } else if (fixedSeed !== undefined) {
            console.log(`pass  ${r.cell} seed=${r.seed} (${r.outcome}, ${r.ms} ms): ${r.reason}\n      ${r.params}`);
          }
          done++;
          if (process.stderr.isTTY && done % 20 === 0) process.stderr.write(`\r${done}/${total} trials`);
        }
      }),
    );
  } finally {
    await Promise.all(envs.map((e) => e.close()));
  }
  if (process.stderr.isTTY) process.stderr.write('\r');

  const width = Math.max(4, ...cells.map((c) => c.id.length));
  const line = (a: string, b: string, c: string, e: string) =>
    `${a.padEnd(width)}  ${b.padStart(5)}  ${c.padStart(6)}  ${e.padStart(8)}`;
  console.log('');
  console.log(line('cell', 'runs', 'passed', 'avg ms'));
  let allRuns = 0;
  let allPassed = 0;
  let failed = 0;
  for (const row of rows.values()) {
    console.log(
      line(row.cell.id, String(row.runs), String(row.passed), String(Math.round(row.ms / Math.max(1, row.runs)))),
    );
    allRuns += row.runs;
    allPassed += row.passed;
    failed += row.failures.length;
  }
  console.log(line('TOTAL', String(allRuns), String(allPassed), ''));
  console.log(`\n${cells.length} cells, ${workers} workers, ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (failed > 0) {
    console.log(`\n${failed} failure(s):`);
    for (const row of rows.values())
      for (const f of row.failures) console.log(`  ${f.cell} seed=${f.seed}: ${f.reason}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
