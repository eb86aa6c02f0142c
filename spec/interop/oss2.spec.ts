/**
 * The official Python SDK, oss2, as a second independent client: `spec/interop/oss2-client.py` runs put_object,
 * get_object_meta, append_object, multipart with PartIterator and MultipartUploadIterator, resumable_upload and the
 * listing iterators against a local server, with V1 and V4 signatures, and this spec checks what it saw.
 *
 * oss2 is not a dependency of this package (it is a Python library): the suite runs where `python3 -c 'import oss2'`
 * succeeds (`pip install oss2`), and is skipped with a message elsewhere, so a fresh clone stays green.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { OssServer } from '../../lib/server/index.js';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'oss2-client.py');
const CRED = { accessKeyId: 'oss2-ak', accessKeySecret: 'oss2-sk' };
const BUCKET = 'oss2-bucket';

/** Why oss2 cannot run here, or `undefined` when it can. */
function oss2Missing(): string | undefined {
  try {
    execFileSync('python3', ['-c', 'import oss2'], { stdio: 'pipe', timeout: 30_000 });
    return undefined;
  } catch (err) {
    const e = err as { code?: string; stderr?: Buffer };
    return e.code === 'ENOENT'
      ? 'python3 is not installed'
      : `oss2 is not importable (${String(e.stderr ?? '')
          .trim()
          .split('\n')
          .pop()})`;
  }
}

/** The bytes the script uploads: buf[i] = (i * 7 + seed) & 0xff. */
function data(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + seed) & 0xff;
  return b;
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function run(args: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile('python3', [SCRIPT, ...args], { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`oss2 script failed: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Record<string, unknown>);
    });
  });
}

describe('interop: oss2 (Python SDK) against the local server', function () {
  this.timeout(180_000);
  let server: OssServer;
  let work: string;

  before(async function () {
    const missing = oss2Missing();
    if (missing !== undefined) {
      console.log(`      skipped: ${missing}; install it with \`pip install oss2\` to run the oss2 interop suite`);
      this.skip();
    }
    work = await mkdtemp(join(tmpdir(), 'oss2-interop-'));
    server = await OssServer.start({ credentials: [CRED], buckets: [BUCKET, 'oss2-extra'], region: 'cn-hangzhou' });
  });
  after(async () => {
    await server?.close();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  for (const version of ['v1', 'v4']) {
    it(`runs oss2's upload, append, multipart, resumable and listing calls (${version})`, async () => {
      const dir = join(work, version);
      const out = (await run([server.endpoint, CRED.accessKeyId, CRED.accessKeySecret, BUCKET, version, dir])) as {
        put: { status: number; etag: string };
        get_sha256: string;
        meta: { content_length: number };
        append: { next: number; content: string };
        stale_append: { status: number; next_position: number; message: string } | null;
        multipart: { listed: number[][]; uploads: string[]; status: number; sha256: string };
        resumable: { sha256: string; object_type: string; content_length: number };
        objects: Array<[string, number]>;
        objects_have_times: boolean;
        buckets: string[];
      };
      const body = data(300 * 1024 + 5, 1);
      expect(out.put.status).to.equal(200);
      expect(out.get_sha256).to.equal(sha256(body));
      expect(out.meta.content_length).to.equal(body.length);
      expect(out.append).to.deep.equal({ next: 11, content: 'hello world' });
      expect(out.stale_append).to.deep.equal({
        status: 409,
        next_position: 11,
        message: 'Position is not equal to file length',
      });
      expect(out.multipart.listed).to.deep.equal([
        [1, 102400],
        [2, 102400],
        [3, 777],
      ]);
      expect(out.multipart.uploads).to.deep.equal([`${version}/multi.bin`]);
      expect(out.multipart.sha256).to.equal(sha256(Buffer.concat([data(102400, 2), data(102400, 3), data(777, 4)])));
      expect(out.resumable).to.deep.equal({
        sha256: sha256(data(1024 * 1024 + 3, 5)),
        object_type: 'Multipart',
        content_length: 1024 * 1024 + 3,
      });
      expect(out.objects.map(([k]) => k)).to.deep.equal([
        `${version}/app.log`,
        `${version}/multi.bin`,
        `${version}/put.bin`,
        `${version}/resumable.bin`,
      ]);
      expect(out.objects_have_times).to.equal(true);
      expect(out.buckets).to.deep.equal([BUCKET, 'oss2-extra']);
    });
  }
});
