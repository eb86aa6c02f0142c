// `main().catch(() => process.exit(1))` right after pipeline() rejects must leave no multipart upload open
// (issue 17, item 5). The client runs in a child process that exits in the catch; the server runs here.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Bucket } from 'oss-stream';
import type { OssServer } from 'oss-stream/server';
import { clientFor, startServer } from '../support/local-oss.js';

const SCRIPT = fileURLToPath(new URL('../support/exit-after-failure.ts', import.meta.url));
const limits = { minPartSize: 1024 };

function runScript(
  endpoint: string,
  mode: string,
  key: string,
  cleanupTimeoutMs?: number,
): Promise<{ code: number | null; err: string; ms: number }> {
  const started = Date.now();
  const args = [
    '--import',
    'tsx',
    SCRIPT,
    endpoint,
    mode,
    key,
    ...(cleanupTimeoutMs === undefined ? [] : [String(cleanupTimeoutMs)]),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, err, ms: Date.now() - started })));
}

describe('sinks/exit-guard', function () {
  this.timeout(120_000);
  let server: OssServer;
  let bucket: Bucket;

  before(async () => {
    server = await startServer({ limits });
    bucket = clientFor(server, { limits });
  });
  after(async () => {
    await bucket.close();
    await server.close();
  });
  beforeEach(() => {
    server.faults.clear();
    server.stats.reset();
  });

  const open = async (key: string): Promise<number> => (await bucket.listMultipartUploads({ prefix: key })).length;

  for (const [mode, expected] of [
    ['generator', 'source broke'],
    ['readable', 'source broke'],
    ['part-failure', 'UploadPart'],
  ] as const) {
    it(`${mode}: the upload is aborted before the process exits (3 runs)`, async () => {
      if (mode === 'part-failure')
        server.faults.add({ op: 'UploadPart', partNumber: 9, times: Infinity, action: { type: 'error', status: 500 } });
      for (let run = 0; run < 3; run++) {
        const key = `exit/${mode}-${run}`;
        const r = await runScript(server.endpoint, mode, key);
        expect(r.code, r.err).to.equal(1);
        expect(r.err).to.include('caught:').and.include(expected);
        // Checked at once: the abort left the child before it exited.
        expect(await open(key), `run ${run}`).to.equal(0);
      }
      expect(server.stats.op('InitiateMultipartUpload').requests).to.equal(3);
      expect(server.stats.op('AbortMultipartUpload').requests).to.be.at.least(3);
      expect(server.stats.op('CompleteMultipartUpload').requests).to.equal(0);
    });
  }

  it('a dead network cannot hang the exit: the cleanup wait is bounded by cleanupTimeoutMs', async () => {
    // The server takes the aborts but never answers in time: the sink must report its error anyway, and the exit
    // guard must give up after the same bound.
    server.faults.add({ op: 'AbortMultipartUpload', times: Infinity, action: { type: 'delay', ms: 60_000 } });
    server.faults.add({ op: 'UploadPart', partNumber: 9, times: Infinity, action: { type: 'error', status: 500 } });
    const r = await runScript(server.endpoint, 'part-failure', 'exit/dead', 300);
    expect(r.code, r.err).to.equal(1);
    expect(r.err).to.include('caught:');
    // tsx start-up plus two bounded waits of 300 ms, far below the 60 s the server would take.
    expect(r.ms).to.be.below(20_000);
    server.faults.clear();
  });
});
