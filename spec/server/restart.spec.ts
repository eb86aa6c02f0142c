/**
 * The server as a child process on a fixed `--root`, killed with SIGKILL in the middle of multipart uploads and
 * started again on the same root: uploads in progress come back with exactly the parts whose UploadPart had been
 * answered, half-received bodies do not (and their staging files are gone), and clients finish byte-exact.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { cp, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import {
  Auth,
  Bucket,
  OssError,
  ResumableStore,
  resumableUpload,
  type CheckpointRecord,
  type CheckpointStore,
  type ClientOptions,
  type UploadPartResult,
} from 'oss-stream';
import { OssServer } from 'oss-stream/server';
import { request } from 'undici';
import type { SignableRequest } from '../../lib/core/sign-v1.js';
import { signRequestV4 } from '../../lib/core/sign-v4.js';
import { startChildServer, type ChildServer } from '../support/child-server.js';
import { oracleCrc } from '../support/bytes.js';
import { eventually } from '../support/eventually.js';

const AK = 'restart-ak';
const SK = 'restart-sk';
const BUCKET = 'bkt';
const KiB = 1024;
const PART = 256 * KiB;

/** Starts `serve` on `root` (optionally on a fixed port) with our key and bucket. */
function serve(root: string, port?: number): Promise<ChildServer> {
  const args = ['--root', root, '--bucket', BUCKET, '--access-key-id', AK, '--access-key-secret', SK];
  return startChildServer(port === undefined ? args : [...args, '--port', String(port)]);
}

async function kill9(server: ChildServer): Promise<void> {
  if (server.process.exitCode !== null || server.process.signalCode !== null) return;
  const exited = once(server.process, 'exit');
  server.process.kill('SIGKILL');
  await exited;
}

function client(server: ChildServer, opts: ClientOptions = {}): Bucket {
  return new Bucket(new Auth(AK, SK), server.endpoint, BUCKET, { retries: 0, ...opts });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  await eventually(async () => (await check()) || Promise.reject(new Error(`waiting for ${what}`)), { timeoutMs });
}

/** Name and size of every file in `dir` (none when it does not exist). */
async function filesIn(dir: string): Promise<{ name: string; size: number }[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return Promise.all(names.map(async (name) => ({ name, size: (await stat(join(dir, name))).size })));
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}

/** CompleteMultipartUpload with `x-oss-complete-all: yes` (every part the server holds), which our client does not send. */
async function completeAll(
  server: OssServer,
  key: string,
  uploadId: string,
): Promise<{ status: number; crc64: string | undefined }> {
  const req: SignableRequest = {
    method: 'POST',
    bucket: BUCKET,
    key,
    query: { uploadId },
    headers: { 'x-oss-complete-all': 'yes' },
  };
  signRequestV4(req, { accessKeyId: AK, accessKeySecret: SK }, new Date(), { region: server.region });
  const res = await request(`${server.endpoint}/${BUCKET}/${encodeURIComponent(key)}?uploadId=${uploadId}`, {
    method: 'POST',
    headers: req.headers,
    body: '',
  });
  await res.body.dump();
  const crc = res.headers['x-oss-hash-crc64ecma'];
  return { status: res.statusCode, crc64: typeof crc === 'string' ? crc : undefined };
}

async function readAll(bucket: Bucket, key: string): Promise<Buffer> {
  const r = await bucket.getObject(key);
  const chunks: Buffer[] = [];
  for await (const c of r.body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('server restart: kill -9 in the middle of multipart uploads, then resume on the same root', function () {
  this.timeout(60_000);
  let parent: string;
  let root: string;
  let server: ChildServer | undefined;

  beforeEach(async () => {
    parent = await mkdtemp(join(tmpdir(), 'oss-restart-spec-'));
    root = join(parent, 'root');
  });
  afterEach(async () => {
    if (server !== undefined) await kill9(server);
    server = undefined;
    await rm(parent, { recursive: true, force: true });
  });

  it('lists the answered parts (not the half-sent one), cleans its staging file, and completes byte-exact', async () => {
    // Five parts; part 2 is first sent with other bytes, then replaced: the replacement is what must come back.
    const data = randomBytes(4 * PART + 100 * KiB);
    const slice = (n: number) => data.subarray((n - 1) * PART, Math.min(n * PART, data.length));
    const key = 'dir/big.bin';
    server = await serve(root);
    let bucket = client(server);

    const { uploadId } = await bucket.initMultipartUpload(key, {
      headers: { 'content-type': 'application/x-test', 'x-oss-meta-origin': 'restart' },
    });
    const idle = await bucket.initMultipartUpload('idle/no-parts.bin');
    const aborted = await bucket.initMultipartUpload('gone/aborted.bin');
    await bucket.uploadPart('gone/aborted.bin', aborted.uploadId, 1, slice(1));
    await bucket.abortMultipartUpload('gone/aborted.bin', aborted.uploadId);
    const done = await bucket.initMultipartUpload('gone/completed.bin');
    const donePart = await bucket.uploadPart('gone/completed.bin', done.uploadId, 1, 'small');
    await bucket.completeMultipartUpload('gone/completed.bin', done.uploadId, [donePart]);

    const answered: UploadPartResult[] = [];
    answered.push(await bucket.uploadPart(key, uploadId, 1, slice(1)));
    await bucket.uploadPart(key, uploadId, 2, randomBytes(PART));
    answered.push(await bucket.uploadPart(key, uploadId, 2, slice(2)));

    // Part 3: half of its body is sent, then the sender stalls with the rest still declared.
    const stalled = new Readable({ read() {} });
    stalled.push(slice(3).subarray(0, PART / 2));
    const pending = bucket.uploadPart(key, uploadId, 3, stalled, { contentLength: PART }).then(
      () => undefined,
      (err: unknown) => err,
    );
    await waitFor("half of part 3 on the server's disk", async () =>
      (await filesIn(join(root, 'tmp'))).some((f) => f.size === PART / 2),
    );
    await kill9(server);
    const failure = await pending;
    expect(failure).to.be.instanceOf(OssError);
    expect((failure as OssError).code).to.equal('NetworkError');
    await bucket.close();
    // The half-received body is still there after the kill, as a staging file.
    expect((await filesIn(join(root, 'tmp'))).map((f) => f.size)).to.deep.equal([PART / 2]);

    server = await serve(root);
    bucket = client(server);
    expect(await filesIn(join(root, 'tmp')), 'staging files are removed at start').to.deep.equal([]);
    const uploads = await bucket.listMultipartUploads();
    expect(uploads.map((u) => [u.key, u.uploadId])).to.deep.equal([
      [key, uploadId],
      ['idle/no-parts.bin', idle.uploadId],
    ]);
    expect(await bucket.listParts('idle/no-parts.bin', idle.uploadId)).to.deep.equal([]);
    const listed = await bucket.listParts(key, uploadId);
    expect(listed.map((p) => [p.partNumber, p.etag, p.size, p.hashCrc64ecma])).to.deep.equal(
      answered.map((p) => [p.partNumber, p.etag, p.size, p.crc64]),
    );
    expect(listed.map((p) => p.hashCrc64ecma)).to.deep.equal([oracleCrc(slice(1)), oracleCrc(slice(2))]);

    // Resume: the missing parts, then Complete with every part's CRC so the client checks the combined CRC64.
    const parts = listed.map((p) => ({ partNumber: p.partNumber, etag: p.etag, size: p.size, crc64: p.hashCrc64ecma }));
    for (const n of [3, 4, 5]) {
      const r = await bucket.uploadPart(key, uploadId, n, slice(n));
      parts.push({ partNumber: n, etag: r.etag, size: r.size, crc64: r.crc64 });
    }
    const completed = await bucket.completeMultipartUpload(key, uploadId, parts);
    expect(completed.crc64).to.equal(oracleCrc(data));
    const head = await bucket.headObject(key);
    expect([head.size, head.crc64, head.contentType]).to.deep.equal([
      data.length,
      oracleCrc(data),
      'application/x-test',
    ]);
    expect((await readAll(bucket, key)).equals(data)).to.equal(true);
    expect((await bucket.listMultipartUploads()).map((u) => u.uploadId)).to.deep.equal([idle.uploadId]);
    await bucket.abortMultipartUpload('idle/no-parts.bin', idle.uploadId);
    await bucket.close();

    // One more kill and start: the completed and aborted uploads stay gone, the objects stay.
    await kill9(server);
    server = await serve(root);
    bucket = client(server);
    try {
      expect(await bucket.listMultipartUploads()).to.deep.equal([]);
      expect((await readAll(bucket, key)).equals(data)).to.equal(true);
      expect((await readAll(bucket, 'gone/completed.bin')).toString()).to.equal('small');
      const files = (await walk(root)).map((f) => relative(root, f).split('\\').join('/'));
      expect(
        files.filter((f) => f.includes('/uploads/')),
        'no persisted upload left',
      ).to.deep.equal([]);
      // Two objects: 5 parts + 1 part, each part one blob; the replaced part 2 and aborted part are gone.
      expect(files.filter((f) => f.startsWith('blobs/'))).to.have.length(6);
    } finally {
      await bucket.close();
    }
  });

  it('a resumableUpload that fails when the server dies continues after the restart with the parts stored before', async () => {
    const file = join(parent, 'src.bin');
    const data = randomBytes(8 * PART + 1234);
    await writeFile(file, data);
    const store = new ResumableStore({ root: parent, dir: 'checkpoints' });
    server = await serve(root);
    const victim = server;
    // Kills the server (SIGKILL) once the checkpoint holds three parts, before the save returns.
    let killedAt: CheckpointRecord | undefined;
    const killing: CheckpointStore = {
      load: (b, k, p) => store.load(b, k, p),
      delete: (b, k, p) => store.delete(b, k, p),
      async save(record) {
        await store.save(record);
        if (killedAt === undefined && record.parts.length >= 3) {
          killedAt = structuredClone(record);
          await kill9(victim);
        }
      },
    };
    let bucket = client(server);
    const first = await resumableUpload(bucket, 'resumable.bin', file, {
      store: killing,
      partSize: PART,
      multipartThreshold: PART,
      parallel: 2,
      retries: 0,
    }).then(
      () => undefined,
      (err: unknown) => err,
    );
    await bucket.close();
    expect(first).to.be.instanceOf(OssError);
    expect(killedAt, 'the server was killed mid-upload').to.not.equal(undefined);
    const saved = await store.load(BUCKET, 'resumable.bin', file);
    expect(saved?.uploadId).to.equal(killedAt!.uploadId);
    const savedBytes = saved!.parts.reduce((s, p) => s + p.size, 0);
    expect(savedBytes).to.be.at.least(3 * PART);

    server = await serve(root);
    bucket = client(server);
    try {
      // Every checkpointed part is still on the server (a part whose answer the kill swallowed may be there too).
      const listed = await bucket.listParts('resumable.bin', saved!.uploadId);
      const byNumber = new Map(listed.map((p) => [p.partNumber, p]));
      for (const p of saved!.parts)
        expect([p.partNumber, byNumber.get(p.partNumber)?.etag]).to.deep.equal([p.partNumber, p.etag]);
      const r = await resumableUpload(bucket, 'resumable.bin', file, {
        store,
        partSize: PART,
        multipartThreshold: PART,
        parallel: 2,
      });
      // Before uploads survived restarts, the second call met NoSuchUpload and started over (resumedBytes 0).
      expect(r.uploadId).to.equal(saved!.uploadId);
      expect(r.resumedBytes).to.equal(listed.reduce((s, p) => s + p.size, 0));
      expect([r.mode, r.size, r.crc64, r.parts?.length]).to.deep.equal(['multipart', data.length, oracleCrc(data), 9]);
      expect((await readAll(bucket, 'resumable.bin')).equals(data)).to.equal(true);
      expect(await store.load(BUCKET, 'resumable.bin', file)).to.equal(undefined);
      expect(await bucket.listMultipartUploads()).to.deep.equal([]);
    } finally {
      await bucket.close();
    }
  });

  it('one resumableUpload call rides out a kill -9 and restart of the server on the same port (retries)', async () => {
    const file = join(parent, 'src.bin');
    const data = randomBytes(12 * PART);
    await writeFile(file, data);
    const store = new ResumableStore({ root: parent, dir: 'checkpoints' });
    server = await serve(root);
    const port = Number(new URL(server.endpoint).port);
    let restarted: Promise<void> | undefined;
    const restarting: CheckpointStore = {
      load: (b, k, p) => store.load(b, k, p),
      delete: (b, k, p) => store.delete(b, k, p),
      async save(record) {
        await store.save(record);
        if (restarted === undefined && record.parts.length >= 2) {
          const victim = server!;
          // Not awaited: the upload keeps going (and failing, and retrying) while the server is down.
          restarted = kill9(victim).then(async () => {
            server = await serve(root, port);
          });
          await kill9(victim);
        }
      },
    };
    const bucket = client(server, { retries: 40, retryBaseDelayMs: 50, retryMaxDelayMs: 400 });
    try {
      const r = await resumableUpload(bucket, 'one-call.bin', file, {
        store: restarting,
        partSize: PART,
        multipartThreshold: PART,
        parallel: 3,
      });
      await restarted;
      expect(restarted, 'the server was restarted mid-upload').to.not.equal(undefined);
      expect([r.mode, r.size, r.crc64, r.parts?.length, r.resumedBytes]).to.deep.equal([
        'multipart',
        data.length,
        oracleCrc(data),
        12,
        0,
      ]);
      expect((await readAll(bucket, 'one-call.bin')).equals(data)).to.equal(true);
      expect(await bucket.listMultipartUploads()).to.deep.equal([]);
    } finally {
      await restarted?.catch(() => undefined);
      await bucket.close();
    }
  });

  it('repairs what a crash can leave at start: a completed upload not yet removed, torn or foreign files', async () => {
    const start = () =>
      OssServer.start({ root, buckets: [BUCKET], credentials: [{ accessKeyId: AK, accessKeySecret: SK }] });
    let s = await start();
    let bucket = new Bucket(new Auth(AK, SK), s.endpoint, BUCKET, { retries: 0 });
    const data = randomBytes(2 * PART);
    const { uploadId } = await bucket.initMultipartUpload('done.bin');
    const parts = [
      await bucket.uploadPart('done.bin', uploadId, 1, data.subarray(0, PART)),
      await bucket.uploadPart('done.bin', uploadId, 2, data.subarray(PART)),
    ];
    const live = await bucket.initMultipartUpload('live.bin');
    const livePart = await bucket.uploadPart('live.bin', live.uploadId, 1, data.subarray(0, PART));
    const uploadsDir = join(root, 'buckets', BUCKET, 'uploads');
    // The state a crash leaves between Complete's object commit and the removal of the upload.
    await cp(join(uploadsDir, uploadId), join(parent, 'saved-upload'), { recursive: true });
    await bucket.completeMultipartUpload('done.bin', uploadId, parts);
    await bucket.close();
    await s.close();
    await cp(join(parent, 'saved-upload'), join(uploadsDir, uploadId), { recursive: true });
    // Debris: a foreign directory, an upload directory without upload.json, a torn part record, a part whose blob
    // is gone, and a part record under a name we never write.
    await mkdir(join(uploadsDir, '..%2F..%2Fescape'), { recursive: true });
    await mkdir(join(uploadsDir, '0123456789ABCDEF0123456789ABCDEF'), { recursive: true });
    await writeFile(join(uploadsDir, '0123456789ABCDEF0123456789ABCDEF', 'part-1.json'), '{}');
    const liveDir = join(uploadsDir, live.uploadId);
    await writeFile(join(liveDir, 'part-2.json'), '{"number":2,"blob":"00');
    await writeFile(
      join(liveDir, 'part-3.json'),
      JSON.stringify({ number: 3, blob: 'f'.repeat(32), size: 1, etag: 'A'.repeat(32), crc64: '1', lastModified: 1 }),
    );
    await writeFile(
      join(liveDir, 'part-04.json'),
      JSON.stringify({ number: 4, blob: 'e'.repeat(32), size: 1, etag: 'A'.repeat(32), crc64: '1', lastModified: 1 }),
    );

    s = await start();
    bucket = new Bucket(new Auth(AK, SK), s.endpoint, BUCKET, { retries: 0 });
    try {
      expect((await bucket.listMultipartUploads()).map((u) => u.uploadId)).to.deep.equal([live.uploadId]);
      expect((await bucket.listParts('live.bin', live.uploadId)).map((p) => [p.partNumber, p.etag])).to.deep.equal([
        [1, livePart.etag],
      ]);
      expect((await readAll(bucket, 'done.bin')).equals(data)).to.equal(true);
      expect((await readdir(uploadsDir)).sort()).to.deep.equal([live.uploadId]);
      expect((await readdir(liveDir)).sort()).to.deep.equal(['part-1.json', 'upload.json']);
      // 2 parts in the object, 1 in the live upload.
      expect(await readdir(join(root, 'blobs'))).to.have.length(3);
      await bucket.abortMultipartUpload('live.bin', live.uploadId);
      expect(await readdir(uploadsDir)).to.deep.equal([]);
      expect(await readdir(join(root, 'blobs'))).to.have.length(2);
    } finally {
      await bucket.close();
      await s.close();
    }
  });

  it('concurrent commits of one part number, then Complete racing more parts: memory, disk and a restart agree', async () => {
    const start = () =>
      OssServer.start({
        root,
        buckets: [BUCKET],
        credentials: [{ accessKeyId: AK, accessKeySecret: SK }],
        limits: { minPartSize: 1 },
      });
    let s = await start();
    let bucket = new Bucket(new Auth(AK, SK), s.endpoint, BUCKET, { retries: 0 });
    const { uploadId } = await bucket.initMultipartUpload('race.bin');
    const bodies = Array.from({ length: 12 }, (_, i) => randomBytes(64 * KiB + i));
    const answers = await Promise.all(bodies.map((b) => bucket.uploadPart('race.bin', uploadId, 1, b)));
    const listed = await bucket.listParts('race.bin', uploadId);
    expect(listed).to.have.length(1);
    expect(answers.map((a) => a.etag)).to.include(listed[0]!.etag);
    await bucket.close();
    await s.close();

    s = await start();
    bucket = new Bucket(new Auth(AK, SK), s.endpoint, BUCKET, { retries: 0 });
    try {
      const again = await bucket.listParts('race.bin', uploadId);
      expect(again.map((p) => [p.partNumber, p.etag, p.size])).to.deep.equal(
        listed.map((p) => [p.partNumber, p.etag, p.size]),
      );
      // Only the listed version of part 1 kept its blob.
      expect(await readdir(join(root, 'blobs'))).to.have.length(1);

      // Complete with x-oss-complete-all while parts 2..9 arrive: each part either made it into the object or was
      // answered NoSuchUpload, and nothing of the upload is left afterwards.
      const racingBodies = Array.from({ length: 8 }, () => randomBytes(32 * KiB));
      let answered = 0;
      const racing = racingBodies.map((b, i) =>
        bucket
          .uploadPart('race.bin', uploadId, i + 2, b)
          .then(
            (r) => r,
            (e: unknown) => e,
          )
          .finally(() => answered++),
      );
      // Complete once a few parts are in, while the others are still arriving.
      await waitFor('three racing parts answered', async () => answered >= 3);
      const done = await completeAll(s, 'race.bin', uploadId);
      expect(done.status).to.equal(200);
      const results = await Promise.all(racing);
      for (const r of results) if (r instanceof Error) expect((r as OssError).code).to.equal('NoSuchUpload');
      const first = bodies[answers.findIndex((a) => a.etag === listed[0]!.etag)]!;
      const expected = Buffer.concat([first, ...racingBodies.filter((_, i) => !(results[i] instanceof Error))]);
      expect(done.crc64).to.equal(oracleCrc(expected));
      expect((await readAll(bucket, 'race.bin')).equals(expected)).to.equal(true);
      expect(await readdir(join(root, 'buckets', BUCKET, 'uploads'))).to.deep.equal([]);
      expect(await bucket.listMultipartUploads()).to.deep.equal([]);
      expect(await readdir(join(root, 'blobs'))).to.have.length(
        1 + results.filter((r) => !(r instanceof Error)).length,
      );
    } finally {
      await bucket.close();
      await s.close();
    }
    // What survives a restart is exactly the object.
    s = await start();
    bucket = new Bucket(new Auth(AK, SK), s.endpoint, BUCKET, { retries: 0 });
    try {
      expect(await bucket.listMultipartUploads()).to.deep.equal([]);
      const head = await bucket.headObject('race.bin');
      expect(oracleCrc(await readAll(bucket, 'race.bin'))).to.equal(head.crc64);
    } finally {
      await bucket.close();
      await s.close();
    }
  });
});
