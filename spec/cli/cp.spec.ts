// `oss-stream cp` as a user runs it: a child process (`node --import tsx lib/cli/main.ts cp …`) against a local OSS
// server started here, with the results read back through the Bucket client.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { Auth, Bucket, crc64, OssArgumentError, type OssError } from 'oss-stream';
import { OssServer } from 'oss-stream/server';
import { isCommandLineError } from '../../lib/cli/cp.js';
import { errorLine } from '../../lib/cli/report.js';
import { eventually } from '../support/eventually.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const AK = 'cli-ak';
const SK = 'cli-sk-secret';
const BUCKET = 'cli-spec';
const KiB = 1024;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment of a child: ours without any OSS_* variable, plus `extra`. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OSS_')) env[k] = v;
  return { ...env, ...extra };
}

function start(
  args: string[],
  extraEnv: Record<string, string>,
  stdin: 'pipe' | 'ignore' = 'ignore',
): { child: ChildProcess; output: () => Run; done: Promise<Run> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', 'cp', ...args], {
    cwd: repo,
    env: childEnv(extraEnv),
    stdio: [stdin, 'pipe', 'pipe'],
  });
  const run: Run = { code: null, signal: null, stdout: '', stderr: '' };
  child.stdout!.on('data', (c: Buffer) => (run.stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (run.stderr += c.toString()));
  const done = new Promise<Run>((resolve) =>
    child.on('close', (code, signal) => {
      run.code = code;
      run.signal = signal;
      resolve(run);
    }),
  );
  return { child, output: () => run, done };
}

/** Waits for `cond` (the shared {@link eventually}, with a longer timeout for a child process), naming `what`. */
function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<unknown> {
  return eventually(() => cond() || Promise.reject(new Error(`waiting for ${what}`)), { timeoutMs });
}

async function readAll(bucket: Bucket, key: string): Promise<Buffer> {
  const got = await bucket.getObject(key);
  const chunks: Buffer[] = [];
  for await (const c of got.body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('oss-stream cp (CLI as a child process)', function () {
  this.timeout(20_000);
  let server: OssServer;
  let bucket: Bucket;
  let dir: string;
  let env: Record<string, string>;

  before(async () => {
    server = await OssServer.start({ credentials: [{ accessKeyId: AK, accessKeySecret: SK }], buckets: [BUCKET] });
    bucket = new Bucket(new Auth(AK, SK), server.endpoint, BUCKET);
    dir = await mkdtemp(join(tmpdir(), 'oss-stream-cli-spec-'));
    env = { OSS_ACCESS_KEY_ID: AK, OSS_ACCESS_KEY_SECRET: SK, OSS_ENDPOINT: server.endpoint };
  });

  afterEach(() => {
    server.faults.clear();
  });

  after(async () => {
    await bucket.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('uploads a file (multipart, headers and metadata, no checkpoint left) byte for byte', async () => {
    const data = randomBytes(1536 * KiB);
    const file = join(dir, 'report.bin');
    await writeFile(file, data);
    const checkpoints = join(dir, 'ck-file');
    const r = await start(
      [
        file,
        `oss://${BUCKET}/reports/`,
        '--part-size',
        '256KiB',
        '--parallel',
        '3',
        '--checkpoint-dir',
        checkpoints,
        '--content-type',
        'application/x-report',
        '--meta',
        'Owner=ops',
        '--header',
        'Cache-Control: no-cache',
      ],
      env,
    ).done;
    expect(r.stderr).to.match(/^progress: 1\.5 MiB of 1\.5 MiB \(100%\), [\d.]+ MiB\/s$/m);
    expect(r.code, r.stderr).to.equal(0);
    const m =
      /^uploaded (\S+) to oss:\/\/cli-spec\/reports\/report\.bin: 1572864 bytes \(1\.5 MiB\) in [\d.]+ s, [\d.]+ MiB\/s, multipart, 6 parts, etag "([0-9A-F]{32}-6)", crc64 (\d+), request id ([0-9A-F]+)\n$/.exec(
        r.stdout,
      );
    expect(m, r.stdout).to.not.equal(null);
    expect(m![1]).to.equal(file);
    expect(m![3]).to.equal(crc64(data));
    expect((await readAll(bucket, 'reports/report.bin')).equals(data)).to.equal(true);
    const head = await bucket.headObject('reports/report.bin');
    expect(head.etag).to.equal(`"${m![2]}"`);
    expect(head.headers['content-type']).to.equal('application/x-report');
    expect(head.headers['cache-control']).to.equal('no-cache');
    expect(head.headers['x-oss-meta-owner']).to.equal('ops');
    expect(await readdir(checkpoints)).to.deep.equal([]);
  });

  it('streams stdin into a multipart upload, and is silent on stderr with --quiet', async () => {
    const data = randomBytes(1024 * KiB + 5);
    const p = start(['-', `oss://${BUCKET}/piped/db.sql`, '--part-size', '256KiB', '--quiet'], env, 'pipe');
    // In uneven chunks, as a pipe delivers them.
    for (let off = 0; off < data.length; off += 100_003) p.child.stdin!.write(data.subarray(off, off + 100_003));
    p.child.stdin!.end();
    const r = await p.done;
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.equal('');
    expect(r.stdout).to.match(
      /^uploaded stdin to oss:\/\/cli-spec\/piped\/db\.sql: 1048581 bytes \(1\.0 MiB\) in [\d.]+ s, [\d.]+ MiB\/s, multipart, 5 parts, etag "[0-9A-F]{32}-5", crc64 (\d+), request id [0-9A-F]+\n$/,
    );
    expect(r.stdout).to.contain(`crc64 ${crc64(data)},`);
    expect((await readAll(bucket, 'piped/db.sql')).equals(data)).to.equal(true);
  });

  it('--append ships a pipe to an Appendable object; a second run appends after the first', async () => {
    const first = 'GET /healthz 200\nGET /api 500\n';
    const second = 'POST /api/orders 201\n';
    const runWith = async (text: string): Promise<Run> => {
      const p = start(['--append', '-', `oss://${BUCKET}/logs/app.log`, '--flush-interval', '100ms'], env, 'pipe');
      p.child.stdin!.end(text);
      return p.done;
    };
    const a = await runWith(first);
    expect(a.code, a.stderr).to.equal(0);
    expect(a.stdout).to.match(
      new RegExp(
        `^appended stdin to oss://cli-spec/logs/app\\.log: ${first.length} bytes .*, 1 append, object now ${first.length} bytes, etag "[0-9A-F]{32}", crc64 ${crc64(first)}, request id [0-9A-F]+\\n$`,
      ),
    );
    const b = await runWith(second);
    expect(b.code, b.stderr).to.equal(0);
    const whole = first + second;
    expect(b.stdout).to.contain(`: ${second.length} bytes`);
    expect(b.stdout).to.contain(`object now ${whole.length} bytes`);
    expect(b.stdout).to.contain(`crc64 ${crc64(whole)},`);
    expect((await readAll(bucket, 'logs/app.log')).toString()).to.equal(whole);
    const head = await bucket.headObject('logs/app.log');
    expect(head.headers['x-oss-object-type']).to.equal('Appendable');
  });

  it('Ctrl-C on --append ships what was read, prints the summary and exits 130', async () => {
    const head = server.stats.op('HeadObject');
    const heads = head.requests;
    // A long flush interval: without the graceful stop, these lines would still be waiting in the batch.
    const p = start(['--append', '-', `oss://${BUCKET}/logs/tail.log`, '--flush-interval', '60s'], env, 'pipe');
    p.child.stdin!.write('one\ntwo\n');
    // The stream looks up the append position (HEAD) before it starts reading stdin.
    await until(() => head.requests > heads, 'the append position lookup');
    // The one wait left on a guess: the child reading its stdin pipe shows nowhere outside it (nothing is appended
    // before the signal, by design). Too short a wait fails loudly (the summary says 0 bytes), never falsely passes.
    await new Promise((r) => setTimeout(r, 300));
    p.child.kill('SIGINT');
    const r = await p.done;
    expect(r.code, r.stderr).to.equal(130);
    expect(r.stdout).to.match(
      /^appended stdin to oss:\/\/cli-spec\/logs\/tail\.log: 8 bytes \(8 B\) in [\d.]+ s, [\d.]+ MiB\/s, 1 append, object now 8 bytes, /,
    );
    expect(r.stderr).to.match(
      /oss-stream cp: stopping: shipping what was read \(Ctrl-C again to cancel\)\n[^]*oss-stream cp: interrupted: 8 bytes read before Ctrl-C were appended\n$/,
    );
    expect((await readAll(bucket, 'logs/tail.log')).toString()).to.equal('one\ntwo\n');
  });

  it('resumes a file upload after SIGKILL: the object is exact and the stored parts are not sent again', async () => {
    const partSize = 256 * KiB;
    const data = randomBytes(8 * partSize);
    const file = join(dir, 'backup.tar');
    await writeFile(file, data);
    const args = [
      file,
      `oss://${BUCKET}/backups/backup.tar`,
      '--part-size',
      '256KiB',
      '--parallel',
      '1',
      '--checkpoint-dir',
      join(dir, 'ck-resume'),
    ];
    // Part 4 is stored but its answer held back: the command is killed with parts 1-3 acknowledged.
    server.faults.add({ op: 'UploadPart', partNumber: 4, action: { type: 'delay', ms: 15_000 } });
    const uploadPart = server.stats.op('UploadPart');
    const before = { requests: uploadPart.requests, bytes: uploadPart.bytesIn };
    const killed = start(args, env);
    await until(
      () => uploadPart.requests - before.requests >= 4 && uploadPart.bytesIn - before.bytes >= 4 * partSize,
      'part 4 to arrive',
    );
    killed.child.kill('SIGKILL');
    const k = await killed.done;
    expect(k.signal).to.equal('SIGKILL');
    // One record (and maybe the temporary file of a save the kill interrupted, which the next run sweeps away).
    expect((await readdir(join(dir, 'ck-resume'))).filter((n) => n.endsWith('.json'))).to.have.length(1);
    server.faults.clear();

    const sentBefore = uploadPart.bytesIn;
    const r = await start(args, env).done;
    expect(r.code, r.stderr).to.equal(0);
    const resumed = /resumed: (\d+) bytes were already stored/.exec(r.stdout);
    expect(resumed, r.stdout).to.not.equal(null);
    // Parts 1-3 were acknowledged and checkpointed; part 4 was stored too and is recognised by its CRC64.
    expect(Number(resumed![1])).to.be.oneOf([3 * partSize, 4 * partSize]);
    const resent = uploadPart.bytesIn - sentBefore;
    expect(resent).to.equal(data.length - Number(resumed![1]));
    expect(r.stdout).to.contain('multipart, 8 parts');
    expect(r.stdout).to.contain(`crc64 ${crc64(data)},`);
    expect((await readAll(bucket, 'backups/backup.tar')).equals(data)).to.equal(true);
    expect(await readdir(join(dir, 'ck-resume'))).to.deep.equal([]);
  });

  it('Ctrl-C (SIGINT) stops a file upload with exit 130 and says how to resume', async () => {
    const data = randomBytes(1024 * KiB);
    const file = join(dir, 'interrupted.bin');
    await writeFile(file, data);
    server.faults.add({ op: 'UploadPart', partNumber: 2, action: { type: 'delay', ms: 15_000 } });
    const uploadPart = server.stats.op('UploadPart');
    const seen = uploadPart.requests;
    const p = start(
      [
        file,
        `oss://${BUCKET}/interrupted.bin`,
        '--part-size',
        '256KiB',
        '--parallel',
        '1',
        '--checkpoint-dir',
        join(dir, 'ck-int'),
      ],
      env,
    );
    await until(() => uploadPart.requests - seen >= 2, 'part 2 to be in flight');
    p.child.kill('SIGINT');
    const r = await p.done;
    expect(r.code, r.stderr).to.equal(130);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.contain('oss-stream cp: interrupting');
    expect(r.stderr).to.match(
      /oss-stream cp: interrupted: 256\.0 KiB of 1\.0 MiB are stored and recorded in .*ck-int; run the same command again to resume\n$/,
    );
    expect(await readdir(join(dir, 'ck-int'))).to.have.length(1);
  });

  it('Ctrl-C on a stdin upload exits 130 and leaves no multipart upload behind', async () => {
    const p = start(['-', `oss://${BUCKET}/cancelled/stream.bin`, '--part-size', '128KiB'], env, 'pipe');
    p.child.stdin!.write(randomBytes(600 * KiB));
    await until(() => /progress: /.test(p.output().stderr), 'progress');
    p.child.kill('SIGINT');
    const r = await p.done;
    expect(r.code, r.stderr).to.equal(130);
    expect(r.stderr).to.match(
      /oss-stream cp: interrupted: the upload was cancelled and its parts deleted; nothing was stored\n$/,
    );
    expect(await bucket.listMultipartUploads({ prefix: 'cancelled/' })).to.deep.equal([]);
  });

  describe('SIGTERM (docker stop, systemd, timeout) is handled as Ctrl-C', () => {
    it('a stdin upload: its multipart upload is aborted, exit 143', async () => {
      const aborts = server.stats.op('AbortMultipartUpload').requests;
      const [parts, initiates] = [
        server.stats.op('UploadPart').requests,
        server.stats.op('InitiateMultipartUpload').requests,
      ];
      const p = start(['-', `oss://${BUCKET}/terminated/stream.bin`, '--part-size', '128KiB'], env, 'pipe');
      // Slow parts: the upload is surely open and in flight when the signal comes.
      server.faults.add({ op: 'UploadPart', times: Infinity, action: { type: 'delay', ms: 400 } });
      p.child.stdin!.write(randomBytes(600 * KiB));
      await until(
        () =>
          server.stats.op('UploadPart').requests > parts &&
          server.stats.op('InitiateMultipartUpload').requests > initiates,
        'a part in flight',
      );
      expect(await bucket.listMultipartUploads({ prefix: 'terminated/' })).to.have.length(1);
      p.child.kill('SIGTERM');
      const r = await p.done;
      expect([r.code, r.signal], r.stderr).to.deep.equal([143, null]);
      expect(r.stderr).to.contain('oss-stream cp: interrupting (SIGTERM again to quit at once)');
      expect(r.stderr).to.match(
        /oss-stream cp: interrupted: the upload was cancelled and its parts deleted; nothing was stored\n$/,
      );
      expect(await bucket.listMultipartUploads({ prefix: 'terminated/' })).to.deep.equal([]);
      expect(server.stats.op('AbortMultipartUpload').requests).to.equal(aborts + 1);
    });

    it('--append: every line read before the signal is appended (a partial last line too), exit 143', async () => {
      const key = 'logs/terminated.log';
      const p = start(['--append', '-', `oss://${BUCKET}/${key}`, '--flush-interval', '20ms'], env, 'pipe');
      p.child.stdin!.write('one\n');
      await eventually(async () => expect((await readAll(bucket, key)).toString()).to.equal('one\n'), {
        timeoutMs: 10_000,
      });
      // One pipe write (under PIPE_BUF, so read whole): once its complete line is stored, 'thr' has been read too,
      // and line mode holds it back (no newline yet) until the stop ships it.
      p.child.stdin!.write('two\nthr');
      await eventually(async () => expect((await readAll(bucket, key)).toString()).to.equal('one\ntwo\n'), {
        timeoutMs: 10_000,
      });
      p.child.kill('SIGTERM');
      const r = await p.done;
      expect([r.code, r.signal], r.stderr).to.deep.equal([143, null]);
      expect(r.stderr).to.match(
        /oss-stream cp: stopping: shipping what was read \(SIGTERM again to cancel\)\n[^]*oss-stream cp: interrupted: 11 bytes read before SIGTERM were appended\n$/,
      );
      expect(r.stdout).to.match(
        /^appended stdin to oss:\/\/cli-spec\/logs\/terminated\.log: 11 bytes .*, 3 appends, object now 11 bytes, /,
      );
      expect((await readAll(bucket, key)).toString()).to.equal('one\ntwo\nthr');
    });

    it('a file upload keeps its checkpoint (and its uploaded parts) to resume, exit 143', async () => {
      const file = join(dir, 'terminated.bin');
      await writeFile(file, randomBytes(1024 * KiB));
      server.faults.add({ op: 'UploadPart', partNumber: 2, action: { type: 'delay', ms: 15_000 } });
      const uploadPart = server.stats.op('UploadPart');
      const seen = uploadPart.requests;
      const ck = join(dir, 'ck-term');
      const p = start(
        [file, `oss://${BUCKET}/terminated.bin`, '--part-size', '256KiB', '--parallel', '1', '--checkpoint-dir', ck],
        env,
      );
      await until(() => uploadPart.requests - seen >= 2, 'part 2 to be in flight');
      p.child.kill('SIGTERM');
      const r = await p.done;
      expect([r.code, r.signal], r.stderr).to.deep.equal([143, null]);
      expect(r.stderr).to.match(
        /oss-stream cp: interrupted: 256\.0 KiB of 1\.0 MiB are stored and recorded in .*ck-term; run the same command again to resume\n$/,
      );
      expect((await readdir(ck)).filter((n) => n.endsWith('.json'))).to.have.length(1);
      expect(await bucket.listMultipartUploads({ prefix: 'terminated.bin' })).to.have.length(1);
    });
  });

  describe('--append FILE run again', () => {
    it('continues where the object ends when it is a prefix of the file: never appends the file twice', async function () {
      // Three runs of the command, one after the other.
      this.timeout(45_000);
      const key = 'logs/from-file.log';
      const file = join(dir, 'from-file.log');
      const first = Array.from({ length: 50 }, (_, i) => `first ${i}\n`).join('');
      await writeFile(file, first);
      const a = await start(['--append', file, `oss://${BUCKET}/${key}`], env).done;
      expect(a.code, a.stderr).to.equal(0);
      expect((await readAll(bucket, key)).toString()).to.equal(first);
      // The same command again: nothing new in the file, nothing appended.
      const appendsBefore = server.stats.op('AppendObject').requests;
      const b = await start(['--append', file, `oss://${BUCKET}/${key}`], env).done;
      expect(b.code, b.stderr).to.equal(0);
      expect(b.stdout).to.match(
        new RegExp(
          `: 0 bytes .*, 0 appends, object now ${first.length} bytes, continued: the first ${first.length} bytes of the file were already appended,`,
        ),
      );
      expect(server.stats.op('AppendObject').requests).to.equal(appendsBefore);
      // The file grew (a log): only the new lines go.
      const more = 'second 1\nsecond 2\n';
      await appendFile(file, more);
      const c = await start(['--append', file, `oss://${BUCKET}/${key}`], env).done;
      expect(c.code, c.stderr).to.equal(0);
      expect(c.stdout).to.match(
        new RegExp(`: ${more.length} bytes .*, 1 append, object now ${first.length + more.length} bytes, continued: `),
      );
      expect(c.stdout).to.contain(`crc64 ${crc64(first + more)},`);
      expect((await readAll(bucket, key)).toString()).to.equal(first + more);
    });

    it('refuses with AppendSourceMismatch when the object is not a prefix of the file, and appends nothing', async () => {
      const key = 'logs/other.log';
      await bucket.appendObject(key, 0, 'someone else\n');
      const file = join(dir, 'mine.log');
      await writeFile(file, 'my first line\nmy second line\n');
      const shorter = join(dir, 'short.log');
      await writeFile(shorter, 'tiny\n');
      const runs = await Promise.all([
        start(['--append', file, `oss://${BUCKET}/${key}`], env).done,
        start(['--append', shorter, `oss://${BUCKET}/${key}`], env).done,
      ]);
      for (const r of runs) {
        expect(r.code, r.stderr).to.equal(1);
        expect(r.stdout).to.equal('');
      }
      expect(runs[0]!.stderr).to.match(
        /^oss-stream cp: AppendSourceMismatch: oss:\/\/cli-spec\/logs\/other\.log is 13 bytes long and its bytes are not the file's first 13 bytes, so appending \S+mine\.log would not continue it\. To append the whole file anyway, pipe it: cat \S+mine\.log \| oss-stream cp --append - oss:\/\/cli-spec\/logs\/other\.log\n$/,
      );
      expect(runs[1]!.stderr).to.contain(
        'AppendSourceMismatch: oss://cli-spec/logs/other.log is 13 bytes long and the file only 5',
      );
      expect((await readAll(bucket, key)).toString()).to.equal('someone else\n');
    });
  });

  it('--append rides out a short outage by default; --retries 0 gives up at the first failure', async () => {
    server.faults.add({ op: 'AppendObject', times: 2, action: { type: 'error', status: 500 } });
    const ok = start(['--append', '-', `oss://${BUCKET}/logs/outage.log`, '-q'], env, 'pipe');
    ok.child.stdin!.end('kept 1\nkept 2\n');
    const a = await ok.done;
    expect(a.code, a.stderr).to.equal(0);
    expect((await readAll(bucket, 'logs/outage.log')).toString()).to.equal('kept 1\nkept 2\n');

    server.faults.add({ op: 'AppendObject', times: 1, action: { type: 'error', status: 500 } });
    const appends = server.stats.op('AppendObject').requests;
    const no = start(['--append', '-', `oss://${BUCKET}/logs/outage.log`, '-q', '--retries', '0'], env, 'pipe');
    no.child.stdin!.end('lost\n');
    const b = await no.done;
    expect(b.code, b.stderr).to.equal(1);
    expect(b.stderr).to.match(/^oss-stream cp: InternalError: .*; nothing was appended before the failure\n$/);
    expect(server.stats.op('AppendObject').requests).to.equal(appends + 1);
  });

  it('a second cp of the same file to the same key while the first runs fails clearly; a killed one leaves a lock the next run takes over', async function () {
    // Three runs of the command, one after the other.
    this.timeout(45_000);
    const file = join(dir, 'locked.bin');
    const data = randomBytes(512 * KiB);
    await writeFile(file, data);
    const ck = join(dir, 'ck-lock');
    const args = [
      file,
      `oss://${BUCKET}/locked.bin`,
      '--part-size',
      '256KiB',
      '--parallel',
      '1',
      '--checkpoint-dir',
      ck,
    ];
    server.faults.add({ op: 'UploadPart', partNumber: 1, action: { type: 'delay', ms: 15_000 } });
    const uploadPart = server.stats.op('UploadPart');
    const seen = uploadPart.requests;
    const first = start(args, env);
    await until(() => uploadPart.requests > seen, 'the first run to upload');
    const second = await start(args, env).done;
    expect(second.code, second.stderr).to.equal(1);
    expect(second.stderr).to.match(
      new RegExp(
        `^oss-stream cp: CheckpointLocked: another upload of \\S+locked\\.bin to oss://cli-spec/locked\\.bin is running \\(pid ${first.child.pid}\\): wait for it to finish`,
      ),
    );
    first.child.kill('SIGKILL');
    await first.done;
    expect((await readdir(ck)).filter((n) => n.endsWith('.lock'))).to.have.length(1);
    server.faults.clear();
    const third = await start(args, env).done;
    expect(third.code, third.stderr).to.equal(0);
    expect((await readAll(bucket, 'locked.bin')).equals(data)).to.equal(true);
    expect(await readdir(ck)).to.deep.equal([]);
  });

  it('bad arguments exit 2 with the error and a usage line, and nothing is uploaded', async () => {
    const file = join(dir, 'report.bin');
    // One case per path to exit 2 (the parser's own checks are covered one by one in cp-args.spec.ts).
    const cases: [string[], RegExp][] = [
      [[file], /^oss-stream cp: cp needs a source \(a file or -\) and a destination oss:\/\/bucket\/key\n/],
      [[file, `oss://${BUCKET}/k`, '--bogus'], /^oss-stream cp: Unknown option '--bogus'/],
      [
        [file, `oss://${BUCKET}/k`, '--header', 'x-oss-meta-bad: caf\u00e9'],
        /^oss-stream cp: InvalidArgument: header x-oss-meta-bad has a value with CR\/LF or non-ASCII characters/,
      ],
    ];
    const puts = server.stats.op('PutObject').requests + server.stats.op('InitiateMultipartUpload').requests;
    const runs = await Promise.all(cases.map(([args]) => start(args, env).done));
    runs.forEach((r, i) => {
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr).to.match(cases[i]![1]);
      expect(r.stderr).to.match(/\nUsage: oss-stream cp <file \| -> oss:\/\/bucket\/key \[options\]/);
      expect(r.stdout).to.equal('');
    });
    expect(server.stats.op('PutObject').requests + server.stats.op('InitiateMultipartUpload').requests).to.equal(puts);

    const help = spawnSync(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', 'cp', '--help'], {
      cwd: repo,
      encoding: 'utf8',
    });
    expect(help.status).to.equal(0);
    expect(help.stdout).to.contain('Exit codes: 0 ok, 1 failure, 2 usage error, 130 interrupted');
    expect(help.stdout).to.match(
      /--checkpoint-dir <dir> +where file uploads keep their resume checkpoints \(default ~\/\.oss-stream-upload\)/,
    );
  });

  it('a directory as the source is a usage error (exit 2); a missing file is a failure (exit 1)', async () => {
    const sub = join(dir, 'somedir');
    await mkdir(sub, { recursive: true });
    const [d, missing] = await Promise.all([
      start([sub, `oss://${BUCKET}/somedir`], env).done,
      start([join(dir, 'nope.bin'), `oss://${BUCKET}/nope.bin`], env).done,
    ]);
    expect(d.code, d.stderr).to.equal(2);
    expect(d.stderr).to.equal(
      `oss-stream cp: ${sub} is a directory: cp uploads one file (or - for stdin)\nUsage: oss-stream cp <file | -> oss://bucket/key [options]   (oss-stream cp --help for more)\n`,
    );
    expect(missing.code, missing.stderr).to.equal(1);
    expect(missing.stderr).to.match(/^oss-stream cp: ENOENT: no such file or directory/);
  });

  it('reaching the appendable-object limit (EntityTooLarge) is a failure with its code, not a usage error', async () => {
    // The client's own check before sending, as at 5 GiB, with the limit shrunk on a client of our own.
    const small = new Bucket(new Auth(AK, SK), server.endpoint, BUCKET, { limits: { maxPutSize: 16 } });
    await small.appendObject('limit/app.log', 0, 'x'.repeat(10));
    const err = await small.appendObject('limit/app.log', 10, 'y'.repeat(10)).then(
      () => undefined,
      (e: unknown) => e,
    );
    await small.close();
    expect((err as OssError).code).to.equal('EntityTooLarge');
    expect(isCommandLineError(err)).to.equal(false);
    expect(errorLine(err)).to.match(
      /^oss-stream cp: EntityTooLarge: the string is 10 bytes; the limit is 6 bytes \(an appendable object holds at most 16 bytes/,
    );
    // Other argument errors still are the command line's.
    expect(isCommandLineError(new OssArgumentError('header x has CR/LF', 'headers'))).to.equal(true);
  });

  it('an unreachable endpoint fails with one clear line and exit 1', async () => {
    // A port that was just free: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const p = start(
      ['-', `oss://${BUCKET}/nowhere.txt`, '--quiet'],
      { ...env, OSS_ENDPOINT: `http://127.0.0.1:${port}` },
      'pipe',
    );
    p.child.stdin!.end('hello');
    const r = await p.done;
    expect(r.code).to.equal(1);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.match(
      new RegExp(
        `^oss-stream cp: NetworkError: Network error \\(ECONNREFUSED\\): connect ECONNREFUSED 127\\.0\\.0\\.1:${port} — is the endpoint right and reachable\\? \\(--endpoint or OSS_ENDPOINT\\)\\n$`,
      ),
    );
  });

  it('without an endpoint exits 2 naming OSS_ENDPOINT and --endpoint, even with credentials and -q; nothing is started', async () => {
    // A cron job without its env file: it used to "succeed" into an embedded server that died with the command.
    const file = join(dir, 'cron-backup.tar');
    await writeFile(file, 'backup');
    const creds = { OSS_ACCESS_KEY_ID: 'LTAI5tExampleKeyId', OSS_ACCESS_KEY_SECRET: 'example-secret' };
    const runs = await Promise.all([
      start([file, 'oss://backups/cron-backup.tar', '-q'], creds).done,
      start(['--append', file, 'oss://backups/app.log', '-q'], creds).done,
    ]);
    for (const r of runs) {
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stdout).to.equal('');
      expect(r.stderr).to.match(
        /^oss-stream cp: no endpoint: set OSS_ENDPOINT or pass --endpoint <url> \(or --local to try it out on a throw-away embedded server\)\nUsage: oss-stream cp/,
      );
      expect(r.stderr).to.not.contain('embedded local OSS server at');
    }
  });

  it('--local starts the embedded server and says the object will not outlive the command', async () => {
    const p = start(['-', 'oss://scratch/hello.txt', '--local'], {}, 'pipe');
    p.child.stdin!.end('hello, embedded\n');
    const r = await p.done;
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(
      /^oss-stream: --local: started the embedded local OSS server at http:\/\/127\.0\.0\.1:\d+\. The object lives only as long as this command; to keep it, run `oss-stream serve --bucket scratch`/,
    );
    expect(r.stdout).to.match(
      /^uploaded stdin to oss:\/\/scratch\/hello\.txt: 16 bytes \(16 B\) in [\d.]+ s, [\d.]+ MiB\/s, one PutObject, etag "[0-9A-F]{32}", crc64 \d+, request id [0-9A-F]+\n$/,
    );
    expect(r.stdout).to.contain(`crc64 ${crc64('hello, embedded\n')},`);
  });

  it('draws a progress bar on a terminal (run under script(1))', async function () {
    if (spawnSync('script', ['--version']).status !== 0) this.skip();
    const data = randomBytes(1024 * KiB);
    const file = join(dir, 'tty.bin');
    await writeFile(file, data);
    // Slow parts, so the bar is drawn while they are in flight.
    server.faults.add({ op: 'UploadPart', times: Infinity, action: { type: 'delay', ms: 150 } });
    const command = [
      process.execPath,
      '--import',
      'tsx',
      'lib/cli/main.ts',
      'cp',
      file,
      `oss://${BUCKET}/tty.bin`,
      '--part-size',
      '128KiB',
      '--parallel',
      '2',
      '--checkpoint-dir',
      join(dir, 'ck-tty'),
    ].join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      cwd: repo,
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, out).to.equal(0);
    // cli-progress redraws in place: the bar characters, the percentage and our payload, then the summary line.
    expect(out).to.contain('\u2588');
    expect(out).to.match(/ 100% \| 1\.0 MiB of 1\.0 MiB \| [\d.]+ MiB\/s \| ETA 0s/);
    expect(out).to.match(/\d+% \| [\d.]+ (?:KiB|MiB|B) of 1\.0 MiB \| [\d.-]+ MiB\/s \| ETA (?:\d+s|--)/);
    expect(out).to.not.contain('progress: ');
    expect(out).to.match(/uploaded \S+tty\.bin to oss:\/\/cli-spec\/tty\.bin: 1048576 bytes/);
    expect((await readAll(bucket, 'tty.bin')).equals(data)).to.equal(true);
  });
});
