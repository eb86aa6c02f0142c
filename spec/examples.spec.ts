/**
 * Every example of oss2's "Upload objects" guide, rewritten in examples/, runs as a child process exactly as a user
 * runs it (`node --import tsx examples/<x>.ts`) against one local server, each in its own bucket; then its effect
 * is checked with a separate client. One example also runs with no OSS_* variables, starting its own server.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { Auth, Bucket } from 'oss-stream';
import { OssServer } from 'oss-stream/server';
import { md5Etag, oracleCrc, readAll } from './support/bytes.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CRED = { accessKeyId: 'examples-ak', accessKeySecret: 'examples-sk' };
const STS = { accessKeyId: 'STS.examples', accessKeySecret: 'examples-sts-sk', securityToken: 'examples-token' };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `examples/<name>.ts` with `env` on top of this process's environment minus any OSS_* variable. */
function runExample(name: string, env: Record<string, string>): Promise<Run> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('OSS_') && !k.startsWith('EXAMPLE_')),
  );
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', `examples/${name}.ts`],
      { cwd: ROOT, env: { ...base, ...env }, timeout: 30_000 },
      (err, stdout, stderr) => {
        resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr });
      },
    );
  });
}

/** Bucket name of an example: one bucket each, so they can run side by side. */
function bucketOf(name: string): string {
  return `ex-${name}`;
}

const EXAMPLES = [
  'put-string',
  'put-local-file',
  'put-object-from-file',
  'put-network-stream',
  'returned-value',
  'multipart',
  'append',
  'headers',
  'progress-bar',
  'upload-callback',
  'resumable-upload',
  'upload-stream',
  'multipart-writable',
  'put-stream',
  'append-stream',
  'pino-transport',
];

describe('examples (oss2 "Upload objects" guide)', function () {
  this.timeout(60_000);
  let server: OssServer;
  const runs = new Map<string, Run>();
  const clients: Bucket[] = [];

  function bucket(name: string): Bucket {
    const b = new Bucket(new Auth(CRED.accessKeyId, CRED.accessKeySecret), server.endpoint, bucketOf(name));
    clients.push(b);
    return b;
  }

  async function text(name: string, key: string): Promise<string> {
    return (await readAll((await bucket(name).getObject(key)).body)).toString('utf8');
  }

  before(async () => {
    server = await OssServer.start({ credentials: [CRED, STS], buckets: EXAMPLES.map(bucketOf) });
    // A few at a time: each child pays tsx's start-up, and the machine may have only two cores.
    const queue = [...EXAMPLES];
    const worker = async (): Promise<void> => {
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
        const sts = name === 'returned-value'; // one example signs with STS credentials, through the same helper
        const cred = sts ? STS : CRED;
        runs.set(
          name,
          await runExample(name, {
            OSS_ENDPOINT: server.endpoint,
            OSS_BUCKET: bucketOf(name),
            OSS_ACCESS_KEY_ID: cred.accessKeyId,
            OSS_ACCESS_KEY_SECRET: cred.accessKeySecret,
            OSS_REGION: server.region,
            ...(sts ? { OSS_SECURITY_TOKEN: STS.securityToken } : {}),
          }),
        );
      }
    };
    await Promise.all([worker(), worker(), worker()]);
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.close();
  });

  /** The run of `name`, asserted successful. */
  function ok(name: string): Run {
    const run = runs.get(name)!;
    expect(run.stderr, `${name} stderr`).to.equal('');
    expect(run.code, `${name} exit code`).to.equal(0);
    return run;
  }

  it('every example file is covered here', async () => {
    const files = (await readdir(new URL('../examples/', import.meta.url))).filter(
      (f) => f.endsWith('.ts') && !f.startsWith('_'),
    );
    expect(files.map((f) => f.slice(0, -3)).sort()).to.deep.equal([...EXAMPLES].sort());
  });

  it('put-string: a string, bytes and unicode text stored as UTF-8', async () => {
    const run = ok('put-string');
    const unicode = Buffer.from('对象的内容: content ✓', 'utf8');
    expect(run.stdout).to.equal(
      `remote.txt and unicode.txt uploaded; unicode.txt is 28 bytes, CRC64 ${oracleCrc(unicode)}\n`,
    );
    expect(await text('put-string', 'remote.txt')).to.equal('content of object');
    expect(await text('put-string', 'unicode.txt')).to.equal('对象的内容: content ✓');
  });

  it('put-local-file: a file stream stored byte for byte', async () => {
    const run = ok('put-local-file');
    const content = 'a line of the local file\n'.repeat(4096);
    expect(run.stdout).to.match(
      new RegExp(`^remote\\.txt: 102400 bytes, ETag "[0-9A-F]{32}", CRC64 ${oracleCrc(content)}\\n$`),
    );
    expect(await text('put-local-file', 'remote.txt')).to.equal(content);
  });

  it('put-object-from-file: the file stored with a Content-Type from its name', async () => {
    expect(ok('put-object-from-file').stdout).to.equal('remote.txt: 26 bytes stored as text/plain; charset=utf-8\n');
    expect(await text('put-object-from-file', 'remote.txt')).to.equal('content of the local file\n');
  });

  it('put-network-stream: a downloaded page streamed into an object', async () => {
    let page = '';
    for (let i = 0; i < 2000; i++) page += `<p>paragraph ${i} of a page served in pieces.</p>\n`;
    page += '</html>\n';
    expect(ok('put-network-stream').stdout).to.equal(
      `aliyun.txt: ${Buffer.byteLength(page)} bytes streamed, CRC64 ${oracleCrc(page)}\n`,
    );
    expect(await text('put-network-stream', 'aliyun.txt')).to.equal(page);
  });

  it('returned-value: status, request id, ETag and date printed (signed with STS credentials)', async () => {
    const lines = ok('returned-value').stdout.split('\n');
    expect(lines[0]).to.equal('http status: 200');
    expect(lines[1]).to.match(/^request_id: [0-9A-F]{24}$/);
    expect(lines[2]).to.equal(`ETag: ${md5Etag('content of object')}`);
    expect(Date.parse(lines[3]!.slice('date: '.length))).to.be.closeTo(Date.now(), 120_000);
    expect(lines[4]).to.equal(`crc64: ${oracleCrc('content of object')}`);
    expect((await bucket('returned-value').headObject('remote.txt')).size).to.equal(17);
  });

  it('multipart: 11 FileSlice parts completed and read back equal', async () => {
    expect(ok('multipart').stdout).to.match(
      /^remote\.txt: 11 parts of 102400 bytes, 1060921 bytes, ETag "[0-9A-F]{32}-11", read back equal\n$/,
    );
    const h = await bucket('multipart').headObject('remote.txt');
    expect([h.size, h.objectType]).to.deep.equal([1_060_921, 'Multipart']);
    expect(await bucket('multipart').listMultipartUploads()).to.deep.equal([]);
  });

  it('append: two appends, both typed errors, then the right position', async () => {
    const whole = 'content of first appendcontent of second appendcontent of third append';
    expect(ok('append').stdout).to.equal(
      [
        `append.txt is 47 bytes, CRC64 ${oracleCrc(whole.slice(0, 47))}`,
        'normal.txt: ObjectNotAppendable',
        'append.txt: PositionNotEqualToLength, next position 47',
        'append.txt is 70 bytes',
        'headObject: Appendable, next append position 70',
        '',
      ].join('\n'),
    );
    expect(await text('append', 'append.txt')).to.equal(whole);
    expect(await text('append', 'normal.txt')).to.equal('uploaded with putObject');
  });

  it('headers: Content-Type and x-oss-meta-author stored', async () => {
    expect(ok('headers').stdout).to.equal(
      'a.json: application/json; charset=utf-8\nstory.txt: text/plain; charset=utf-8, author O. Henry\n',
    );
    const h = await bucket('headers').headObject('story.txt');
    expect(h.meta).to.deep.equal({ author: 'O. Henry' });
  });

  it('progress-bar: percentages rise to 100% only at the end', async () => {
    const out = ok('progress-bar').stdout;
    const rates = [...out.matchAll(/\r(\d+)% /g)].map((m) => Number(m[1]));
    expect(rates.length).to.be.greaterThan(5);
    for (let i = 1; i < rates.length; i++) expect(rates[i]).to.be.at.least(rates[i - 1]!);
    expect(rates.at(-1)).to.equal(100);
    expect(rates.filter((r) => r === 100)).to.have.length(1);
    expect((await bucket('progress-bar').headObject('story.txt')).size).to.equal(1024 * 1024);
  });

  it('upload-callback: callback body, raw header form, and a failed callback with the object stored', async () => {
    const body = 'filename=story.txt&size=1048576&mimeType=text%2Fplain%3B%20charset%3Dutf-8';
    const lines = ok('upload-callback').stdout.split('\n');
    expect(lines.slice(0, 4)).to.deep.equal([
      `callback server received: ${body}`,
      `callback answer: {"Status":"OK","received":"${body}"}`,
      'callback server received: filename=story-raw.txt&size=7',
      'callback answer (raw header): {"Status":"OK","received":"filename=story-raw.txt&size=7"}',
    ]);
    expect(lines[4]).to.match(
      /^callback failed \(CallbackFailed, HTTP 203\); story-2\.txt is stored with ETag "[0-9A-F]{32}"$/,
    );
    expect(await text('upload-callback', 'story-2.txt')).to.equal('another novel');
  });

  it('resumable-upload: small file put whole, large one in checkpointed parts, an interrupted one resumed', async () => {
    const lines = ok('resumable-upload').stdout.split('\n');
    const b = bucket('resumable-upload');
    expect(lines[0]).to.equal('small.txt: put, 13 bytes');
    const h = await b.headObject('remote.txt');
    expect(lines[1]).to.equal(`remote.txt: multipart, 11 parts, 1048583 bytes, CRC64 ${h.crc64}`);
    expect([h.size, h.objectType]).to.deep.equal([1_048_583, 'Multipart']);
    expect(lines[2]).to.equal('big.bin: interrupted, checkpoints kept: 1');
    const big = await b.headObject('big.bin');
    const resumed = /^big\.bin: resumed at (\d+) bytes, (\d+) bytes not sent again, CRC64 (\d+)$/.exec(lines[3]!);
    expect(resumed, lines[3]).to.not.equal(null);
    expect(Number(resumed![1])).to.equal(Number(resumed![2]));
    expect(Number(resumed![2])).to.be.within(1, 8 * 1024 * 1024 - 1);
    expect([resumed![3], big.size]).to.deep.equal([big.crc64, 8 * 1024 * 1024]);
    expect(lines.slice(4)).to.deep.equal(['checkpoints left: 0', 'abandoned anything: false', '']);
    expect(await text('resumable-upload', 'small.txt')).to.equal('a small file\n');
    expect(await b.listMultipartUploads()).to.deep.equal([]);
  });

  it('upload-stream: a gzipped generated log uploaded as parts, a tiny stream as one put', async () => {
    const lines = ok('upload-stream').stdout.split('\n');
    const b = bucket('upload-stream');
    const gz = await readAll((await b.getObject('logs/2026/app.log.gz')).body);
    expect(lines[0]).to.equal(
      `logs/2026/app.log.gz: multipart, ${Math.ceil(gz.length / 262144)} part(s), ${gz.length} bytes, CRC64 ${oracleCrc(gz)}`,
    );
    const { gunzipSync } = await import('node:zlib');
    const text = gunzipSync(gz).toString('utf8').split('\n');
    expect(text.length).to.equal(200_001);
    expect(text[199_999]).to.equal(`2026-11-26T00:00:00Z INFO request 199999 served in ${199_999 % 97} ms`);
    expect(lines[1]).to.equal('logs/2026/small.log: put, 9 bytes');
    expect((await b.headObject('logs/2026/small.log')).objectType).to.equal('Normal');
  });

  it('multipart-writable: a file backed up as 8 parts, byte for byte', async () => {
    const data = Buffer.alloc(8 * 128 * 1024 - 1000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
    expect(ok('multipart-writable').stdout).to.match(
      new RegExp(
        `^backups/db\\.dump: 8 parts, ${data.length} bytes, ETag "[0-9A-F]{32}-8", CRC64 ${oracleCrc(data)}\n$`,
      ),
    );
    expect(
      (await readAll((await bucket('multipart-writable').getObject('backups/db.dump')).body)).equals(data),
    ).to.equal(true);
  });

  it('put-stream: rows streamed into one PutObject with metadata', async () => {
    let csv = 'id,name\n';
    for (let i = 1; i <= 1000; i++) csv += `${i},user-${i}\n`;
    expect(ok('put-stream').stdout).to.equal(
      `reports/users.csv: ${csv.length} bytes, ETag ${md5Etag(csv)}, CRC64 ${oracleCrc(csv)}\n`,
    );
    const h = await bucket('put-stream').headObject('reports/users.csv');
    expect([h.meta['source'], h.objectType]).to.deep.equal(['example', 'Normal']);
    expect(await text('put-stream', 'reports/users.csv')).to.equal(csv);
  });

  it('append-stream: two streams append in order to one Appendable object', async () => {
    let log = '';
    for (let i = 0; i < 5000; i++) log += `day 1 line ${i}\n`;
    log += 'day 2 starts\n';
    const m = /^logs\/app\.log: (\d+) bytes after (\d+) appends, CRC64 (\d+)\n$/.exec(ok('append-stream').stdout);
    expect(m).to.not.equal(null);
    expect([Number(m![1]), m![3]]).to.deep.equal([Buffer.byteLength(log), oracleCrc(log)]);
    expect(Number(m![2])).to.equal(Math.ceil((Buffer.byteLength(log) - 13) / 16384) + 1);
    expect(await text('append-stream', 'logs/app.log')).to.equal(log);
    expect((await bucket('append-stream').headObject('logs/app.log')).objectType).to.equal('Appendable');
  });

  it('without OSS_ENDPOINT an example starts its own local server and cleans up', async () => {
    const scratch = async (): Promise<string[]> =>
      (await readdir(tmpdir())).filter((f) => f.startsWith('oss-stream-example-'));
    const before = await scratch();
    const run = await runExample('put-string', {});
    expect([run.code, run.stderr]).to.deep.equal([0, '']);
    expect(run.stdout).to.match(/^remote\.txt and unicode\.txt uploaded; unicode\.txt is 28 bytes, CRC64 \d+\n$/);
    expect(
      (await scratch()).filter((f) => !before.includes(f)),
      'scratch directories left behind',
    ).to.deep.equal([]);
  });

  it('an OSS_ENDPOINT without its credentials is reported clearly', async () => {
    const run = await runExample('headers', { OSS_ENDPOINT: server.endpoint });
    expect(run.code).to.not.equal(0);
    expect(run.stderr).to.include('OSS_BUCKET must be set when OSS_ENDPOINT is (see examples/_local.ts)');
  });
  it('pino-transport: pino lines shipped by oss-stream/pino into a gzip log object', async () => {
    const run = ok('pino-transport');
    const m = /^(pino\/\d{8}\/app-0\.log\.gz): 1000 lines in (\d+) bytes of gzip \(Appendable\)\n$/.exec(run.stdout);
    expect(m, run.stdout).to.not.equal(null);
    const bytes = await readAll((await bucket('pino-transport').getObject(m![1]!)).body);
    expect(bytes.length).to.equal(Number(m![2]));
    const lines = gunzipSync(bytes)
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { i: number; msg: string });
    expect(lines.map((l) => l.i)).to.deep.equal(Array.from({ length: 1000 }, (_, i) => i));
    expect(lines[0]!.msg).to.equal('request served');
  });
});
