import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { appendFileSync, truncateSync } from 'node:fs';
import { appendFile, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import {
  abandonResumable,
  crc64,
  OssArgumentError,
  OssAbortError,
  OssError,
  OssServiceError,
  resumableUpload,
  ResumableStore,
  type Bucket,
  type CheckpointRecord,
  type CheckpointStore,
} from 'oss-stream';
import { DEFAULTS } from '../../lib/config.js';
import { partBuffers } from '../../lib/parts/buffer-pool.js';
import type { OssServer } from 'oss-stream/server';
import { pattern } from '../support/bytes.js';
import { eventually } from '../support/eventually.js';
import { clientFor, CRED, startServer } from '../support/local-oss.js';

const KiB = 1024;
const PART = 4 * KiB;
const limits = { minPartSize: 1 * KiB };
/** 10 parts of 4 KiB and a last one of 123 bytes. */
const SIZE = 40 * KiB + 123;

/** A store that remembers every record it was asked to save (as JSON text, as the disk store writes it). */
class SpyStore implements CheckpointStore {
  readonly saved: CheckpointRecord[] = [];
  constructor(readonly inner: ResumableStore) {}
  load(b: string, k: string, p: string) {
    return this.inner.load(b, k, p);
  }
  save(r: CheckpointRecord) {
    this.saved.push(structuredClone(r));
    return this.inner.save(r);
  }
  delete(b: string, k: string, p: string) {
    return this.inner.delete(b, k, p);
  }
}

describe('resumable/resumableUpload', function () {
  this.timeout(30_000);
  let server: OssServer;
  let bucket: Bucket;
  let dir: string;
  let store: ResumableStore;
  let n = 0;

  before(async () => {
    server = await startServer({ limits });
    bucket = clientFor(server, { limits });
  });
  after(async () => {
    await bucket.close();
    await server.close();
  });
  beforeEach(async () => {
    server.faults.clear();
    server.stats.reset();
    dir = await mkdtemp(join(tmpdir(), 'oss-stream-resumable-'));
    store = new ResumableStore({ root: dir, dir: 'cp' });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A fresh file and key per test. */
  /** Whether part `n` of the (one) multipart upload of `key` is on the server. */
  async function partStored(key: string, n: number): Promise<boolean> {
    const [upload] = await bucket.listMultipartUploads({ prefix: key });
    return upload !== undefined && (await bucket.listParts(key, upload.uploadId)).some((p) => p.partNumber === n);
  }

  async function file(size = SIZE, seed = 3): Promise<{ path: string; key: string; data: Buffer }> {
    const id = ++n;
    const data = pattern(size, seed + id);
    const path = join(dir, `file-${id}.bin`);
    await writeFile(path, data);
    return { path, key: `resumable/${id}.bin`, data };
  }
  const opts = (extra: Parameters<typeof resumableUpload>[3] = {}) => ({
    store,
    multipartThreshold: 8 * KiB,
    partSize: PART,
    parallel: 1,
    ...extra,
  });
  const readBack = async (key: string) => buffer((await bucket.getObject(key)).body);
  const stats = (op: string) => ({ ...server.stats.op(op) });
  const records = async () =>
    (await readdir(store.directory).catch(() => [] as string[])).filter((f) => f.endsWith('.json'));

  /** Starts an upload that stops with a 500 on part `failAt` (parts before it are stored and recorded). */
  async function interrupted(f: { path: string; key: string }, failAt = 4): Promise<CheckpointRecord> {
    server.faults.add({ op: 'UploadPart', partNumber: failAt, times: Infinity, action: { type: 'error' } });
    const err = await resumableUpload(bucket, f.key, f.path, opts({ retries: 0 })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(OssServiceError);
    expect((err as OssServiceError).status).to.equal(500);
    server.faults.clear();
    server.stats.reset();
    const rec = await store.load(bucket.name, f.key, f.path);
    expect(rec, 'the checkpoint is kept after a failure').to.not.equal(undefined);
    expect(rec!.parts.map((p) => p.partNumber)).to.deep.equal(Array.from({ length: failAt - 1 }, (_, i) => i + 1));
    return rec!;
  }

  it("defaults to the stream sinks' 8 MiB part size (issue 17)", async () => {
    const f = await file(8 * 1024 * KiB + 1);
    const r = await resumableUpload(bucket, f.key, f.path, { store, multipartThreshold: 8 * KiB });
    expect(r.parts!.map((p) => p.size)).to.deep.equal([8 * 1024 * KiB, 1]);
    expect(DEFAULTS.partSize).to.equal(8 * 1024 * KiB);
  });

  it('takes concurrency, and parallel as its deprecated alias; the two disagreeing is refused before any request', async () => {
    const f = await file();
    expect(
      (
        await resumableUpload(bucket, f.key, f.path, {
          store,
          multipartThreshold: 8 * KiB,
          partSize: PART,
          concurrency: 2,
        })
      ).crc64,
    ).to.equal(crc64(f.data));
    expect(
      (
        await resumableUpload(bucket, f.key, f.path, {
          store,
          multipartThreshold: 8 * KiB,
          partSize: PART,
          parallel: 2,
        })
      ).crc64,
    ).to.equal(crc64(f.data));
    server.stats.reset();
    const err = await resumableUpload(bucket, f.key, f.path, { store, concurrency: 2, parallel: 3 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(OssArgumentError).with.property('argument', 'concurrency');
    expect((err as Error).message).to.match(/concurrency 2 and its deprecated alias parallel 3 disagree/);
    expect(server.stats.total.requests).to.equal(0);
  });

  it('sends a file up to the threshold with one PutObject and keeps no checkpoint', async () => {
    const f = await file(8 * KiB);
    const seen: [number, number | null][] = [];
    const r = await resumableUpload(bucket, f.key, f.path, opts({ onProgress: (a, b) => seen.push([a, b]) }));
    expect(r.mode).to.equal('put');
    expect(r.crc64).to.equal(crc64(f.data));
    expect(r.size).to.equal(8 * KiB);
    expect(r.resumedBytes).to.equal(0);
    expect(stats('PutObject').requests).to.equal(1);
    expect(stats('InitiateMultipartUpload').requests).to.equal(0);
    expect(seen.at(-1)).to.deep.equal([8 * KiB, 8 * KiB]);
    expect((await readBack(f.key)).equals(f.data)).to.equal(true);
    expect(await records()).to.deep.equal([]);
    expect((await bucket.headObject(f.key)).contentType).to.equal('application/octet-stream');
  });

  it('sends a larger file as a byte-exact multipart upload, verified, and deletes its checkpoint', async () => {
    const f = await file();
    const spy = new SpyStore(store);
    const seen: number[] = [];
    const r = await resumableUpload(
      bucket,
      f.key,
      f.path,
      opts({ store: spy, parallel: 3, onProgress: (a, total) => (expect(total).to.equal(SIZE), seen.push(a)) }),
    );
    expect(r.mode).to.equal('multipart');
    expect(r.size).to.equal(SIZE);
    expect(r.crc64).to.equal(crc64(f.data));
    expect(r.parts!.map((p) => p.size)).to.deep.equal([...Array(10).fill(PART), 123]);
    expect(r.parts!.map((p) => p.partNumber)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(r.resumedBytes).to.equal(0);
    expect((await readBack(f.key)).equals(f.data)).to.equal(true);
    expect((await bucket.headObject(f.key)).crc64).to.equal(crc64(f.data));
    expect(stats('UploadPart')).to.include({ requests: 11, bytesIn: SIZE });
    expect(seen[0]).to.equal(0);
    expect(seen.at(-1)).to.equal(SIZE);
    expect(seen.every((v, i) => i === 0 || v > seen[i - 1]!)).to.equal(true);
    expect(await records()).to.deep.equal([]);
    // A record after Initiate (no part yet), then one that grows with the parts; the last holds all 11.
    expect(spy.saved[0]!.parts).to.deep.equal([]);
    expect(spy.saved.at(-1)!.parts.length).to.equal(11);
    expect(spy.saved.at(-1)!).to.include({
      bucket: bucket.name,
      key: f.key,
      path: f.path,
      size: SIZE,
      partSize: PART,
      uploadId: r.uploadId,
    });
  });

  it('writes a record with the format version, the file identity, the parts and no secrets', async () => {
    const f = await file();
    const rec = await interrupted(f);
    const text = await readFile(store.fileFor(bucket.name, f.key, f.path), 'utf8');
    const json = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(json)).to.deep.equal([
      'format',
      'version',
      'uploadId',
      'bucket',
      'key',
      'path',
      'size',
      'mtimeMs',
      'partSize',
      'parts',
    ]);
    expect(json).to.include({
      format: 'oss-stream/resumable-upload',
      version: 2,
      bucket: bucket.name,
      key: f.key,
      path: f.path,
      size: SIZE,
      partSize: PART,
    });
    expect(json['mtimeMs']).to.equal((await stat(f.path)).mtimeMs);
    expect(json['parts']).to.deep.equal(rec.parts);
    expect((json['parts'] as { crc64: string }[])[0]!.crc64).to.equal(crc64(f.data.subarray(0, PART)));
    expect(text).to.not.include(CRED.accessKeySecret);
    expect(text).to.not.include(CRED.accessKeyId);
    expect(text.toLowerCase()).to.not.include('authorization');
  });

  it('resumes after a failure: only the missing parts are sent, the whole-object CRC64 is verified', async () => {
    const f = await file();
    await interrupted(f);
    const r = await resumableUpload(bucket, f.key, f.path, opts({ parallel: 4 }));
    expect(r.resumedBytes).to.equal(3 * PART);
    expect(r.crc64).to.equal(crc64(f.data));
    expect(stats('UploadPart')).to.include({ requests: 8, bytesIn: SIZE - 3 * PART });
    expect(stats('InitiateMultipartUpload').requests).to.equal(0);
    expect(stats('ListParts').requests).to.equal(1);
    expect((await readBack(f.key)).equals(f.data)).to.equal(true);
    expect(await records()).to.deep.equal([]);
  });

  it('abort via signal keeps the record and the upload; the next call resumes and reports the stored bytes first', async () => {
    const f = await file();
    // Part 4 is stored, but its answer is held back: aborted then, it is on the server and not in the record.
    server.faults.add({ op: 'UploadPart', partNumber: 4, action: { type: 'delay', ms: 3000 } });
    const ac = new AbortController();
    let scheduled = false;
    const err = await resumableUpload(
      bucket,
      f.key,
      f.path,
      opts({
        signal: ac.signal,
        onProgress: (done) => {
          if (done > 3 * PART && !scheduled) {
            scheduled = true;
            void eventually(() => partStored(f.key, 4)).then(() => ac.abort(new Error('user cancelled')));
          }
        },
      }),
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(OssAbortError);
    expect((err as OssAbortError).name).to.equal('AbortError');
    const rec = await store.load(bucket.name, f.key, f.path);
    expect(rec!.parts.map((p) => p.partNumber)).to.deep.equal([1, 2, 3]);
    const uploads = await bucket.listMultipartUploads({ prefix: f.key });
    expect(uploads.map((u) => u.uploadId)).to.deep.equal([rec!.uploadId]);
    expect((await bucket.listParts(f.key, rec!.uploadId)).map((p) => p.partNumber)).to.deep.equal([1, 2, 3, 4]);

    server.stats.reset();
    const seen: [number, number | null][] = [];
    const r = await resumableUpload(
      bucket,
      f.key,
      f.path,
      opts({ parallel: 2, onProgress: (a, b) => seen.push([a, b]) }),
    );
    // Part 4 was verified from the listing's CRC64 against the file, so it was not sent again.
    expect(r.resumedBytes).to.equal(4 * PART);
    expect(seen[0]).to.deep.equal([4 * PART, SIZE]);
    expect(seen.at(-1)).to.deep.equal([SIZE, SIZE]);
    expect(seen.every(([v], i) => i === 0 || v > seen[i - 1]![0])).to.equal(true);
    expect(seen.slice(0, -1).every(([v]) => v < SIZE)).to.equal(true);
    expect(stats('UploadPart')).to.include({ requests: 7, bytesIn: SIZE - 4 * PART });
    expect((await readBack(f.key)).equals(f.data)).to.equal(true);
    expect(await records()).to.deep.equal([]);
  });

  it('bucket.close() stops it as a signal would (AbortError, record and upload kept for the next run) and waits for it', async () => {
    const f = await file();
    const b = clientFor(server, { limits });
    server.faults.add({ op: 'UploadPart', partNumber: 3, action: { type: 'delay', ms: 3000 } });
    let closed: Promise<void> | undefined;
    const err = await resumableUpload(
      b,
      f.key,
      f.path,
      opts({
        onProgress: (done) => {
          if (done > 2 * PART) closed ??= b.close(); // part 3 under way (one part at a time): 1 and 2 are stored
        },
      }),
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    await closed;
    expect(err).to.be.instanceOf(OssAbortError);
    expect((err as OssAbortError).cause)
      .to.have.property('message')
      .that.matches(/client was closed/);
    const rec = await store.load(bucket.name, f.key, f.path);
    expect(rec!.parts.map((p) => p.partNumber)).to.deep.equal([1, 2]);
    const r = await resumableUpload(bucket, f.key, f.path, opts());
    expect(r.resumedBytes).to.be.at.least(2 * PART);
    expect((await readBack(f.key)).equals(f.data)).to.equal(true);
  });

  it('an already aborted signal rejects before anything is sent', async () => {
    const f = await file();
    const err = await resumableUpload(bucket, f.key, f.path, opts({ signal: AbortSignal.abort() })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(OssAbortError);
    expect(server.stats.total.requests).to.equal(0);
  });

  for (const [name, damage] of [
    ['a corrupt', () => 'not json at all {'],
    ['a truncated', (text: string) => text.slice(0, Math.floor(text.length / 2))],
    ['an unknown-version', (text: string) => text.replace('"version":2', '"version":99')],
    [
      'an inconsistent (part size off the grid)',
      (text: string) => text.replace(`"size":${PART}}`, `"size":${PART - 1}}`),
    ],
  ] as const) {
    it(`discards ${name} record and starts over`, async () => {
      const f = await file();
      await interrupted(f);
      const cp = store.fileFor(bucket.name, f.key, f.path);
      await writeFile(cp, damage(await readFile(cp, 'utf8')));
      const r = await resumableUpload(bucket, f.key, f.path, opts());
      expect(r.resumedBytes).to.equal(0);
      expect(stats('InitiateMultipartUpload').requests).to.equal(1);
      expect(stats('ListParts').requests).to.equal(0);
      expect(stats('UploadPart')).to.include({ requests: 11, bytesIn: SIZE });
      expect((await readBack(f.key)).equals(f.data)).to.equal(true);
      expect(await records()).to.deep.equal([]);
    });
  }

  it('reads a record written by format version 1 and resumes from it (parts re-verified against the file)', async () => {
    const f = await file();
    const rec = await interrupted(f);
    const cp = store.fileFor(bucket.name, f.key, f.path);
    const v1 = {
      format: 'oss-stream/resumable-upload',
      version: 1,
      uploadId: rec.uploadId,
      bucket: rec.bucket,
      key: rec.key,
      path: rec.path,
      size: rec.size,
      mtime: Math.trunc(rec.mtimeMs),
      partSize: rec.partSize,
      parts: rec.parts.map((p) => ({ partNumber: p.partNumber, etag: p.etag })),
    };
    await writeFile(cp, JSON.stringify(v1));
    const spy = new SpyStore(store);
    const r = await resumableUpload(bucket, f.key, f.path, opts({ store: spy }));
    expect(r.resumedBytes).to.equal(3 * PART);
    expect(stats('UploadPart')).to.include({ requests: 8, bytesIn: SIZE - 3 * PART });
    expect(r.crc64).to.equal(crc64(f.data));
    // The upgraded record is written in the current format, with the verified CRC64s.
    expect(spy.saved[0]!.parts).to.deep.equal(rec.parts);
    expect((await readBack(f.key)).equals(f.data)).to.equal(true);
  });

  it('a grown file (size changed) aborts the old upload and starts over', async () => {
    const f = await file();
    const rec = await interrupted(f);
    await appendFile(f.path, 'more');
    const data = Buffer.concat([f.data, Buffer.from('more')]);
    const r = await resumableUpload(bucket, f.key, f.path, opts());
    expect(r.uploadId).to.not.equal(rec.uploadId);
    expect(r.resumedBytes).to.equal(0);
    expect(stats('AbortMultipartUpload').requests).to.equal(1);
    expect(stats('UploadPart').bytesIn).to.equal(SIZE + 4);
    expect((await readBack(f.key)).equals(data)).to.equal(true);
    const err = await bucket.listParts(f.key, rec.uploadId).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as OssError).code).to.equal('NoSuchUpload');
  });

  it('a touched file (mtime changed, same size) aborts the old upload and starts over', async () => {
    const f = await file();
    const rec = await interrupted(f);
    const t = new Date(Date.now() - 3_600_000);
    await utimes(f.path, t, t);
    const r = await resumableUpload(bucket, f.key, f.path, opts());
    expect(r.uploadId).to.not.equal(rec.uploadId);
    expect(stats('AbortMultipartUpload').requests).to.equal(1);
    expect(stats('UploadPart')).to.include({ requests: 11, bytesIn: SIZE });
    expect((await readBack(f.key)).equals(f.data)).to.equal(true);
    expect(await bucket.listMultipartUploads({ prefix: f.key })).to.deep.equal([]);
  });

  it('a file that shrank below the threshold is put once the stale upload is aborted', async () => {
    const f = await file();
    await interrupted(f);
    await writeFile(f.path, f.data.subarray(0, 100));
    const r = await resumableUpload(bucket, f.key, f.path, opts());
    expect(r.mode).to.equal('put');
    expect(stats('AbortMultipartUpload').requests).to.equal(1);
    expect((await readBack(f.key)).equals(f.data.subarray(0, 100))).to.equal(true);
    expect(await records()).to.deep.equal([]);
  });

  it('an upload gone from the server (NoSuchUpload) starts over', async () => {
    const f = await file();
    const rec = await interrupted(f);
    await bucket.abortMultipartUpload(f.key, rec.uploadId);
    server.stats.reset();
    const r = await resumableUpload(bucket, f.key, f.path, opts());
    expect(r.uploadId).to.not.equal(rec.uploadId);
    expect(stats('ListParts')).to.include({ requests: 1, errors: 1 });
    expect(stats('InitiateMultipartUpload').requests).to.equal(1);
    expect(stats('UploadPart').bytesIn).to.equal(SIZE);
    expect((await readBack(f.key)).equals(f.data)).to.equal(true);
  });

  it('reconciles with ListParts: a recorded part replaced on the server is re-sent', async () => {
    const f = await file();
    const rec = await interrupted(f);
    await bucket.uploadPart(f.key, rec.uploadId, 2, pattern(PART, 99));
    server.stats.reset();
    const r = await resumableUpload(bucket, f.key, f.path, opts());
    expect(r.resumedBytes).to.equal(2 * PART);
    expect(stats('UploadPart')).to.include({ requests: 9, bytesIn: SIZE - 2 * PART });
    expect(r.crc64).to.equal(crc64(f.data));
    expect((await readBack(f.key)).equals(f.data)).to.equal(true);
  });

  it('reconciles with ListParts: an unrecorded stored part is kept only when its CRC64 matches the file', async () => {
    const f = await file();
    const rec = await interrupted(f);
    // Part 5 stored with the right bytes (a process that died before saving the record), part 6 with wrong ones,
    // part 7 with the right bytes but cut short.
    await bucket.uploadPart(f.key, rec.uploadId, 5, f.data.subarray(4 * PART, 5 * PART));
    await bucket.uploadPart(f.key, rec.uploadId, 6, pattern(PART, 77));
    await bucket.uploadPart(f.key, rec.uploadId, 7, f.data.subarray(6 * PART, 7 * PART - 1));
    server.stats.reset();
    const r = await resumableUpload(bucket, f.key, f.path, opts());
    expect(r.resumedBytes).to.equal(4 * PART);
    // Sent: 4, 6, 7, 8, 9, 10, 11.
    expect(stats('UploadPart')).to.include({ requests: 7, bytesIn: SIZE - 4 * PART });
    expect((await readBack(f.key)).equals(f.data)).to.equal(true);
  });

  it('a recorded part missing from the server is re-sent', async () => {
    const f = await file();
    const rec = await interrupted(f);
    // The record claims a part 5 the server never got.
    const cp = store.fileFor(bucket.name, f.key, f.path);
    const json = JSON.parse(await readFile(cp, 'utf8')) as { parts: unknown[] };
    json.parts.push({ partNumber: 5, etag: '"0123456789ABCDEF0123456789ABCDEF"', crc64: '1', size: PART });
    await writeFile(cp, JSON.stringify(json));
    const r = await resumableUpload(bucket, f.key, f.path, opts());
    expect(r.uploadId).to.equal(rec.uploadId);
    expect(stats('UploadPart')).to.include({ requests: 8, bytesIn: SIZE - 3 * PART });
    expect((await readBack(f.key)).equals(f.data)).to.equal(true);
  });

  it('a resumed upload keeps its recorded part size, whatever partSize the caller passes now', async () => {
    const f = await file();
    await interrupted(f);
    const r = await resumableUpload(bucket, f.key, f.path, opts({ partSize: 16 * KiB }));
    expect(r.parts!.length).to.equal(11);
    expect((await readBack(f.key)).equals(f.data)).to.equal(true);
  });

  it('runs concurrent resumable uploads of different files through one store', async () => {
    const files = await Promise.all([file(SIZE, 10), file(SIZE * 2, 20), file(SIZE + 7, 30), file(5 * KiB, 40)]);
    const results = await Promise.all(files.map((f) => resumableUpload(bucket, f.key, f.path, opts({ parallel: 3 }))));
    expect(results.map((r) => r.mode)).to.deep.equal(['multipart', 'multipart', 'multipart', 'put']);
    for (const [i, f] of files.entries()) {
      expect(results[i]!.crc64).to.equal(crc64(f.data));
      expect((await readBack(f.key)).equals(f.data)).to.equal(true);
    }
    expect(await records()).to.deep.equal([]);
    expect((await readdir(store.directory)).filter((x) => x.endsWith('.tmp'))).to.deep.equal([]);
  });

  it('a second upload of the same file to the same key, while the first runs, fails with CheckpointLocked', async () => {
    const f = await file(SIZE, 70);
    const settled = await Promise.allSettled([
      resumableUpload(bucket, f.key, f.path, opts()),
      resumableUpload(bucket, f.key, f.path, opts()),
    ]);
    // Whichever takes the lock first (both start with async file checks, so the order is not fixed) uploads; the
    // other fails.
    expect(settled.map((s) => s.status).sort()).to.deep.equal(['fulfilled', 'rejected']);
    const loser = settled.find((s) => s.status === 'rejected')!;
    const err = (loser as PromiseRejectedResult).reason as OssError;
    expect(err).to.be.instanceOf(OssError);
    expect(err.code).to.equal('CheckpointLocked');
    expect(stats('InitiateMultipartUpload').requests, 'only the lock holder started an upload').to.equal(1);
    expect((await readBack(f.key)).equals(f.data)).to.equal(true);
    // Released on success and on failure: the next runs take it again.
    expect((await readdir(store.directory)).filter((x) => x.endsWith('.lock'))).to.deep.equal([]);
    await interrupted(f);
    expect((await readdir(store.directory)).filter((x) => x.endsWith('.lock'))).to.deep.equal([]);
    expect((await resumableUpload(bucket, f.key, f.path, opts())).resumedBytes).to.equal(3 * PART);
  });

  it('concurrent interrupted uploads keep separate records and each resumes its own', async () => {
    const files = await Promise.all([file(SIZE, 50), file(SIZE, 60)]);
    server.faults.add({ op: 'UploadPart', partNumber: 5, times: Infinity, action: { type: 'error' } });
    const errs = await Promise.all(
      files.map((f) =>
        resumableUpload(bucket, f.key, f.path, opts({ retries: 0 })).then(
          () => undefined,
          (e: unknown) => e,
        ),
      ),
    );
    expect(errs.every((e) => e instanceof OssServiceError)).to.equal(true);
    server.faults.clear();
    expect((await records()).length).to.equal(2);
    const rs = await Promise.all(files.map((f) => resumableUpload(bucket, f.key, f.path, opts())));
    expect(rs.map((r) => r.resumedBytes)).to.deep.equal([4 * PART, 4 * PART]);
    for (const f of files) expect((await readBack(f.key)).equals(f.data)).to.equal(true);
  });

  it('sends headers with Initiate and the callback with Complete', async () => {
    const bodies: string[] = [];
    const cb = http.createServer((req, res) => {
      let s = '';
      req.on('data', (d) => (s += d));
      req.on('end', () => {
        bodies.push(decodeURIComponent(s));
        res.setHeader('content-type', 'application/json');
        res.end('{"Status":"OK"}');
      });
    });
    await new Promise<void>((r) => cb.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(cb.address() as AddressInfo).port}/cb`;
      const f = await file();
      const r = await resumableUpload(
        bucket,
        f.key,
        f.path,
        opts({
          headers: { 'Content-Type': 'text/x-spec', 'x-oss-meta-origin': 'resumable' },
          callback: { url, body: 'object=${object}&size=${size}' },
        }),
      );
      expect(r.callbackBody).to.equal('{"Status":"OK"}');
      expect(bodies).to.deep.equal([`object=${f.key}&size=${SIZE}`]);
      const h = await bucket.headObject(f.key);
      expect(h.contentType).to.equal('text/x-spec');
      expect(h.meta).to.deep.equal({ origin: 'resumable' });
    } finally {
      await new Promise((r) => cb.close(r));
    }
  });

  it('guesses the Content-Type from the file name', async () => {
    n++;
    const path = join(dir, `page-${n}.html`);
    await writeFile(path, pattern(SIZE));
    await resumableUpload(bucket, `resumable/page-${n}`, path, opts());
    expect((await bucket.headObject(`resumable/page-${n}`)).contentType).to.equal('text/html; charset=utf-8');
  });

  it('a file modified during the upload fails with FileChanged, aborts the upload and drops the record', async () => {
    const f = await file();
    let touched = false;
    const err = await resumableUpload(
      bucket,
      f.key,
      f.path,
      opts({
        onProgress: (done) => {
          if (done > 0 && !touched) {
            touched = true;
            const t = new Date(Date.now() - 7_200_000);
            void utimes(f.path, t, t);
          }
        },
      }),
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as OssError).code).to.equal('FileChanged');
    expect(stats('CompleteMultipartUpload').requests).to.equal(0);
    expect(stats('AbortMultipartUpload').requests).to.equal(1);
    expect(await records()).to.deep.equal([]);
  });

  it('a Complete whose answer was lost (retried into NoSuchUpload) is recognised as committed by its CRC64', async () => {
    const f = await file();
    server.faults.add({ op: 'CompleteMultipartUpload', action: { type: 'drop-after-commit' } });
    const r = await resumableUpload(bucket, f.key, f.path, opts());
    expect(stats('CompleteMultipartUpload').requests).to.equal(2);
    expect(stats('HeadObject').requests).to.equal(1);
    expect(r.crc64).to.equal(crc64(f.data));
    expect(r.size).to.equal(SIZE);
    expect((await readBack(f.key)).equals(f.data)).to.equal(true);
    expect(await records()).to.deep.equal([]);
  });

  it('a store that cannot save fails the upload loudly; a fresh upload it could not record is aborted', async () => {
    const f = await file();
    const failing: CheckpointStore = {
      load: async () => undefined,
      save: async () => Promise.reject(new Error('read-only store')),
      delete: async () => {},
    };
    const err = await resumableUpload(bucket, f.key, f.path, opts({ store: failing })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as Error).message).to.equal('read-only store');
    expect(stats('UploadPart').requests).to.equal(0);
    expect(stats('AbortMultipartUpload').requests).to.equal(1);
    expect(await bucket.listMultipartUploads({ prefix: f.key })).to.deep.equal([]);
    // Failing once parts are stored (the record is written before the first part, then at most once a second and
    // when the upload stops): the upload stops with the store's error, as it is no longer resumable as promised.
    let saves = 0;
    const flaky: CheckpointStore = {
      load: async () => undefined,
      save: async () => (++saves > 1 ? Promise.reject(new Error('disk full')) : undefined),
      delete: async () => {},
    };
    const err2 = await resumableUpload(bucket, f.key, f.path, opts({ store: flaky })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err2 as Error).message).to.equal('disk full');
    expect(saves).to.be.at.least(2);
    expect(stats('UploadPart').requests).to.be.greaterThan(0);
    expect(stats('CompleteMultipartUpload').requests).to.equal(0);
  });

  it('rejects bad arguments before any request', async () => {
    const f = await file();
    const bad: [Parameters<typeof resumableUpload>[3], string][] = [
      [{ parallel: 0 }, 'parallel'],
      [{ partSize: 0 }, 'partSize'],
      [{ multipartThreshold: -1 }, 'multipartThreshold'],
      [{ store: {} as CheckpointStore }, 'store'],
      [{ headers: { 'Content-Length': '1' } }, 'headers["content-length"]'],
    ];
    for (const [o, arg] of bad) {
      const err = await resumableUpload(bucket, f.key, f.path, { store, ...o }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((err as { argument?: string }).argument, JSON.stringify(o)).to.equal(arg);
    }
    const dirErr = await resumableUpload(bucket, f.key, dir, { store }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((dirErr as { argument?: string }).argument).to.equal('filePath');
    const missing = await resumableUpload(bucket, f.key, join(dir, 'nope'), { store }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((missing as { code?: string }).code).to.equal('ENOENT');
    expect(server.stats.total.requests).to.equal(0);
  });

  describe('parts read from the file into pooled buffers', () => {
    /** Pool buffers this test holds: a part's buffer is taken from the pool when it is read, given back when sent. */
    let lent0: number;
    beforeEach(() => (lent0 = partBuffers.lent));
    const held = (): number => partBuffers.lent - lent0;

    it('files around part boundaries: every byte and the CRC64, never more buffers than parts in flight', async () => {
      for (const size of [1, PART - 1, PART, PART + 1, 3 * PART - 1, 3 * PART, 3 * PART + 1]) {
        const f = await file(size);
        server.stats.reset();
        let most = 0;
        const r = await resumableUpload(
          bucket,
          f.key,
          f.path,
          opts({ multipartThreshold: 0, parallel: 2, onProgress: () => (most = Math.max(most, held())) }),
        );
        expect(r.mode, `${size}`).to.equal('multipart');
        expect(r.crc64, `${size}`).to.equal(crc64(f.data));
        expect(r.parts!.map((p) => p.size)).to.deep.equal(
          Array.from({ length: Math.ceil(size / PART) }, (_, i) => Math.min(PART, size - i * PART)),
        );
        expect(stats('UploadPart'), `${size}`).to.include({ requests: Math.ceil(size / PART), bytesIn: size });
        expect((await readBack(f.key)).equals(f.data), `${size}`).to.equal(true);
        expect((await bucket.headObject(f.key)).crc64).to.equal(crc64(f.data));
        // Progress runs while a part is on the wire: its buffer is out of the pool then, and at most 2 are. (A
        // one-part upload reports no progress between its start and its commit.)
        expect(most, `${size}`).to.be.within(size > PART ? 1 : 0, 2);
        expect(held(), `${size}`).to.equal(0);
      }
    });

    it('a retried part resends its own bytes from its buffer, while other parts take buffers of the pool', async () => {
      const f = await file();
      server.faults.add({ op: 'UploadPart', partNumber: 2, action: { type: 'reset', afterBytes: 1000 } });
      server.faults.add({ op: 'UploadPart', partNumber: 5, action: { type: 'error', status: 500 } });
      const r = await resumableUpload(bucket, f.key, f.path, opts({ parallel: 3, retries: 3 }));
      expect(stats('UploadPart').requests).to.equal(11 + 2);
      expect(r.crc64).to.equal(crc64(f.data));
      expect(r.parts![1]!.crc64).to.equal(crc64(f.data.subarray(PART, 2 * PART)));
      expect(r.parts![4]!.crc64).to.equal(crc64(f.data.subarray(4 * PART, 5 * PART)));
      expect((await readBack(f.key)).equals(f.data)).to.equal(true);
      expect(held()).to.equal(0);
    });

    it('a failed part gives its buffer back; the parts stored before it are kept for the resume', async () => {
      const f = await file();
      await interrupted(f);
      expect(held()).to.equal(0);
      const r = await resumableUpload(bucket, f.key, f.path, opts({ parallel: 3 }));
      expect(r.resumedBytes).to.equal(3 * PART);
      expect((await readBack(f.key)).equals(f.data)).to.equal(true);
      expect(held()).to.equal(0);
    });

    it('an abort gives every buffer back and leaves only the recorded upload, which a rerun completes', async () => {
      const f = await file();
      server.faults.add({ op: 'UploadPart', partNumber: 3, action: { type: 'delay', ms: 3000 } });
      const ac = new AbortController();
      let inFlight = 0;
      const err = await resumableUpload(
        bucket,
        f.key,
        f.path,
        opts({
          parallel: 2,
          signal: ac.signal,
          onProgress: (done) => {
            // part 3 is held by the server; part 4 was read and is on the wire beside it
            if (done > 3 * PART && inFlight === 0) {
              inFlight = held();
              ac.abort(new Error('user cancelled'));
            }
          },
        }),
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(OssAbortError);
      expect(inFlight).to.equal(2);
      expect(held()).to.equal(0);
      const rec = await store.load(bucket.name, f.key, f.path);
      const open = await bucket.listMultipartUploads({ prefix: f.key });
      expect(open.map((u) => u.uploadId)).to.deep.equal([rec!.uploadId]);
      const r = await resumableUpload(bucket, f.key, f.path, opts({ parallel: 2 }));
      expect((await readBack(f.key)).equals(f.data)).to.equal(true);
      expect(r.crc64).to.equal(crc64(f.data));
      expect(await bucket.listMultipartUploads({ prefix: f.key })).to.deep.equal([]);
      expect(held()).to.equal(0);
    });

    it('an abort, then abandonResumable: no multipart upload is left open', async () => {
      const f = await file();
      server.faults.add({ op: 'UploadPart', partNumber: 2, action: { type: 'delay', ms: 3000 } });
      const ac = new AbortController();
      const err = await resumableUpload(
        bucket,
        f.key,
        f.path,
        opts({ signal: ac.signal, onProgress: (done) => done > PART && ac.abort() }),
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(OssAbortError);
      expect(held()).to.equal(0);
      expect(await abandonResumable(bucket, f.key, f.path, { store })).to.equal(true);
      expect(await bucket.listMultipartUploads({ prefix: f.key })).to.deep.equal([]);
      expect(await records()).to.deep.equal([]);
    });

    it('a file that shrinks: FileChanged at the first short part, unsent; upload aborted, record dropped', async () => {
      const f = await file();
      let cut = false;
      const err = await resumableUpload(
        bucket,
        f.key,
        f.path,
        opts({
          onProgress: (done) => {
            // one part at a time: part 2 is read after part 1's bytes went out
            if (done >= PART && !cut) {
              cut = true;
              truncateSync(f.path, PART + 100);
            }
          },
        }),
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(OssError);
      expect((err as OssError).code).to.equal('FileChanged');
      expect((err as Error).message).to.include(`ended at byte ${PART + 100}`);
      // Part 2 was never sent: a short part is caught before its request, not by a length mismatch on the wire.
      expect(stats('UploadPart').requests).to.equal(1);
      expect(stats('CompleteMultipartUpload').requests).to.equal(0);
      expect(stats('AbortMultipartUpload').requests).to.equal(1);
      expect(await bucket.listMultipartUploads({ prefix: f.key })).to.deep.equal([]);
      expect(await records()).to.deep.equal([]);
      expect(held()).to.equal(0);
    });

    it('a file that grows: the parts read their planned ranges, then FileChanged aborts the upload', async () => {
      const f = await file();
      let grown = false;
      const err = await resumableUpload(
        bucket,
        f.key,
        f.path,
        opts({
          parallel: 2,
          onProgress: (done) => {
            if (done >= PART && !grown) {
              grown = true;
              appendFileSync(f.path, 'more');
            }
          },
        }),
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((err as OssError).code).to.equal('FileChanged');
      expect(stats('UploadPart')).to.include({ requests: 11, bytesIn: SIZE });
      expect(stats('CompleteMultipartUpload').requests).to.equal(0);
      expect(await bucket.listMultipartUploads({ prefix: f.key })).to.deep.equal([]);
      expect(await records()).to.deep.equal([]);
      expect(held()).to.equal(0);
    });

    it('parts stream from the file instead when the parts in flight would not fit in maxMemory', async () => {
      const f = await file();
      let most = 0;
      const r = await resumableUpload(
        bucket,
        f.key,
        f.path,
        opts({ parallel: 3, maxMemory: 3 * PART - 1, onProgress: () => (most = Math.max(most, held())) }),
      );
      expect(most).to.equal(0);
      expect(r.crc64).to.equal(crc64(f.data));
      expect((await readBack(f.key)).equals(f.data)).to.equal(true);
      let inMemory = 0;
      await resumableUpload(
        bucket,
        f.key,
        f.path,
        opts({ parallel: 3, maxMemory: 3 * PART, onProgress: () => (inMemory = Math.max(inMemory, held())) }),
      );
      expect(inMemory).to.be.within(1, 3);
    });
  });
});
