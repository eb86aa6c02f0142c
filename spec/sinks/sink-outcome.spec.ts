// One contract for the four sinks (issue 17, items 9 and 13): destroy() without an error cancels quietly (no 'error'
// event, 'close' after cleanup, nothing stored, no upload left); done() resolves with the result, rejects only after
// cleanup, and never causes an unhandled rejection; tags and meta reach PutObject and InitiateMultipartUpload.
import { expect } from 'chai';
import { once } from 'node:events';
import { PassThrough, Readable, type Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { fetch } from 'undici';
import {
  createAppendStream,
  createPutStream,
  createUploadStream,
  crc64,
  MultipartWritable,
  OssArgumentError,
  type Bucket,
  type OssError,
} from 'oss-stream';
import type { OssServer } from 'oss-stream/server';
import { pattern } from '../support/bytes.js';
import { clientFor, startServer } from '../support/local-oss.js';
import { eventually } from '../support/eventually.js';

const KiB = 1024;
const limits = { minPartSize: 1 * KiB };

type AnySink = Writable & { done(): Promise<unknown>; result: unknown };

describe('sinks: one outcome contract (destroy, done, tags, meta)', function () {
  this.timeout(30_000);
  let server: OssServer;
  let bucket: Bucket;

  before(async () => {
    server = await startServer({ limits });
    bucket = clientFor(server, { limits, retries: 0 });
  });
  after(async () => {
    await bucket.close();
    await server.close();
  });
  beforeEach(() => {
    server.faults.clear();
    server.stats.reset();
  });

  const openUploads = async (): Promise<number> => (await bucket.listMultipartUploads()).length;
  const exists = (key: string): Promise<boolean> =>
    bucket.headObject(key).then(
      () => true,
      () => false,
    );

  const SINKS: Array<[string, (key: string) => AnySink]> = [
    ['createPutStream', (key) => createPutStream(bucket, key)],
    // retries: 0 as the client's: the append stream's own default (10, 24-48 s) would outlast the test's timeout.
    [
      'createAppendStream',
      (key) =>
        createAppendStream(bucket, key, {
          flushBytes: 4 * KiB,
          flushIntervalMs: 0,
          retries: 0,
        }),
    ],
    ['MultipartWritable', (key) => new MultipartWritable(bucket, key, { partSize: 4 * KiB })],
    ['createUploadStream', (key) => createUploadStream(bucket, key, { partSize: 4 * KiB })],
  ];

  for (const [name, make] of SINKS) {
    describe(name, () => {
      it('destroy() without an error: no error event, close after cleanup, done() rejects with AbortError, nothing stored', async () => {
        const key = `outcome/destroy-${name}`;
        const sink = make(key);
        let errored: unknown;
        sink.on('error', (e) => (errored = e));
        const source = new PassThrough();
        const piped = pipeline(source, sink).then(
          () => undefined,
          (e: unknown) => e as NodeJS.ErrnoException,
        );
        source.write(pattern(9 * KiB)); // two parts of a multipart upload, two batches of the append stream
        // Wait until the upload is under way (an append has landed, a part or the put request reached the server).
        await eventually(() =>
          expect(server.stats.total.requests).to.be.greaterThan(name === 'createAppendStream' ? 1 : 0),
        );
        const closed = once(sink, 'close');
        sink.destroy();
        await closed;
        const err = (await sink.done().catch((e: unknown) => e)) as OssError;
        expect(err.name).to.equal('AbortError');
        expect(err.code).to.equal('AbortError');
        expect(errored, 'no error event').to.equal(undefined);
        expect((await piped)?.code).to.equal('ERR_STREAM_PREMATURE_CLOSE');
        // done() rejected after cleanup: no multipart upload is left, checked at once, not eventually.
        expect(await openUploads()).to.equal(0);
        if (name !== 'createAppendStream') expect(await exists(key)).to.equal(false);
      });

      it('done() resolves with the result once the object is committed', async () => {
        const key = `outcome/done-${name}`;
        const data = pattern(9 * KiB + 7);
        const sink = make(key);
        await pipeline(Readable.from([data]), sink);
        const r = (await sink.done()) as { crc64: string };
        expect(r).to.equal(sink.result);
        expect(r.crc64).to.equal(crc64(data));
      });

      it('done() rejects with the failure only after cleanup, and an unobserved failure is no unhandled rejection', async () => {
        const unhandled: unknown[] = [];
        const onUnhandled = (e: unknown): void => void unhandled.push(e);
        process.on('unhandledRejection', onUnhandled);
        try {
          const op =
            name === 'createPutStream' ? 'PutObject' : name === 'createAppendStream' ? 'AppendObject' : 'UploadPart';
          server.faults.add({
            op,
            times: Infinity,
            action: { type: 'error', status: 503, code: 'ServiceUnavailable' },
          });
          // Never asked for its outcome: only 'error' reports it.
          const ignored = make(`outcome/ignored-${name}`);
          ignored.on('error', () => undefined);
          const closed = new Promise((resolve) => ignored.on('close', resolve));
          ignored.end(pattern(9 * KiB));
          await closed;
          const sink = make(`outcome/fail-${name}`);
          sink.on('error', () => undefined);
          sink.end(pattern(9 * KiB));
          const err = (await sink.done().catch((e: unknown) => e)) as OssError;
          expect(err.code).to.equal('ServiceUnavailable');
          expect(await openUploads(), 'the upload was aborted before done() rejected').to.equal(0);
          await new Promise((resolve) => setImmediate(resolve));
          expect(unhandled).to.deep.equal([]);
        } finally {
          process.off('unhandledRejection', onUnhandled);
        }
      });
    });
  }

  describe('tags and meta', () => {
    const tagsOf = async (key: string): Promise<Record<string, string>> => {
      const url = await bucket.signUrl('GET', key, 60, { query: { tagging: null } });
      const xml = await (await fetch(url)).text();
      const out: Record<string, string> = {};
      const text = (s: string): string =>
        s
          .replace(/&lt;/g, '<')
          .replace(/&gt;/g, '>')
          .replace(/&quot;/g, '"')
          .replace(/&apos;/g, "'")
          .replace(/&amp;/g, '&');
      for (const m of xml.matchAll(/<Tag><Key>(.*?)<\/Key><Value>(.*?)<\/Value><\/Tag>/g))
        out[text(m[1]!)] = text(m[2]!);
      return out;
    };
    const tags = { project: 'etl', 'team name': 'data & ops', 'unicode-ключ': 'значение=1' };
    const meta = { Owner: 'ops', run: '42' };

    for (const [name, make, expectOps] of [
      [
        'createUploadStream, small (PutObject)',
        (k: string) => createUploadStream(bucket, k, { partSize: 4 * KiB, tags, meta }),
        1,
      ],
      [
        'createUploadStream, multipart',
        (k: string) => createUploadStream(bucket, k, { partSize: 4 * KiB, tags, meta, contentLength: 9 * KiB }),
        3,
      ],
      ['MultipartWritable', (k: string) => new MultipartWritable(bucket, k, { partSize: 4 * KiB, tags, meta }), 3],
      ['createPutStream', (k: string) => createPutStream(bucket, k, { tags, meta }), 1],
    ] as const) {
      it(`${name}: stored with the object`, async () => {
        const key = `outcome/tags-${name}`;
        const size = expectOps === 1 ? 3 * KiB : 9 * KiB;
        await pipeline(Readable.from([pattern(size)]), make(key));
        expect(await tagsOf(key)).to.deep.equal(tags);
        const h = await bucket.headObject(key);
        expect(h.meta).to.deep.equal({ owner: 'ops', run: '42' });
        expect(h.headers['x-oss-tagging-count']).to.equal('3');
      });
    }

    it('Bucket.putObject and initMultipartUpload take them too', async () => {
      await bucket.putObject('outcome/tags-put', 'x', { tags: { a: '1' }, meta: { m: 'v' } });
      expect(await tagsOf('outcome/tags-put')).to.deep.equal({ a: '1' });
      const { uploadId } = await bucket.initMultipartUpload('outcome/tags-mpu', { tags: { b: '2' }, meta: { m: 'w' } });
      const part = await bucket.uploadPart('outcome/tags-mpu', uploadId, 1, 'y');
      await bucket.completeMultipartUpload('outcome/tags-mpu', uploadId, [part]);
      expect(await tagsOf('outcome/tags-mpu')).to.deep.equal({ b: '2' });
      expect((await bucket.headObject('outcome/tags-mpu')).meta).to.deep.equal({ m: 'w' });
    });

    it('refuses tags over OSS limits, and meta or tags given twice, before any request', () => {
      const refuse = (fn: () => unknown, re: RegExp, argument: string): void => {
        expect(fn).to.throw(OssArgumentError, re).with.property('argument', argument);
      };
      const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v']));
      refuse(() => createUploadStream(bucket, 'k', { tags: eleven }), /at most 10 tags/, 'tags');
      refuse(
        () => createUploadStream(bucket, 'k', { tags: { ['k'.repeat(129)]: 'v' } }),
        /1 to 128 characters/,
        'tags',
      );
      refuse(() => createUploadStream(bucket, 'k', { tags: { '': 'v' } }), /1 to 128 characters/, 'tags');
      refuse(() => createPutStream(bucket, 'k', { tags: { k: 'v'.repeat(257) } }), /at most 256 characters/, 'tags');
      refuse(
        () => new MultipartWritable(bucket, 'k', { tags: { k: 1 as unknown as string } }),
        /must be a string/,
        'tags',
      );
      refuse(
        () => createPutStream(bucket, 'k', { tags: { a: '1' }, headers: { 'x-oss-tagging': 'b=2' } }),
        /not both/,
        'tags',
      );
      refuse(
        () => createUploadStream(bucket, 'k', { meta: { a: '1' }, headers: { 'X-Oss-Meta-A': '2' } }),
        /both in headers and in meta/,
        'meta',
      );
      // Limits are counted in characters, as OSS does: 128 four-byte characters are a valid key.
      createUploadStream(bucket, 'k', { tags: { ['😀'.repeat(128)]: 'v'.repeat(256) } }).destroy();
      expect(server.stats.total.requests).to.equal(0);
    });

    it('resumableUpload sends them with the PutObject of a small file and the Initiate of a large one', async () => {
      const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
      const { tmpdir } = await import('node:os');
      const { join } = await import('node:path');
      const { resumableUpload, ResumableStore } = await import('oss-stream');
      const dir = await mkdtemp(join(tmpdir(), 'outcome-'));
      try {
        const store = new ResumableStore({ root: dir });
        await writeFile(join(dir, 'small'), pattern(KiB));
        await writeFile(join(dir, 'large'), pattern(9 * KiB));
        await resumableUpload(bucket, 'outcome/ru-small', join(dir, 'small'), { store, tags, meta });
        await resumableUpload(bucket, 'outcome/ru-large', join(dir, 'large'), {
          store,
          tags,
          meta,
          multipartThreshold: 4 * KiB,
          partSize: 4 * KiB,
        });
        for (const k of ['outcome/ru-small', 'outcome/ru-large']) {
          expect(await tagsOf(k), k).to.deep.equal(tags);
          expect((await bucket.headObject(k)).meta, k).to.deep.equal({ owner: 'ops', run: '42' });
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  it('finished() on a cancelled sink reports a premature close, as for any Node stream', async () => {
    const sink = createUploadStream(bucket, 'outcome/finished', { partSize: 4 * KiB });
    sink.write(pattern(KiB));
    sink.destroy();
    const err = (await finished(sink).catch((e: unknown) => e)) as NodeJS.ErrnoException;
    expect(err.code).to.equal('ERR_STREAM_PREMATURE_CLOSE');
  });
});
