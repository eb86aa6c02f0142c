/**
 * Our client and the official `ali-oss` client on the same objects of the local server: what oss-stream writes,
 * ali-oss reads back byte-exact (and sees the same CRC64, type and metadata); what ali-oss writes (put, append,
 * multipartUpload, hand-driven parts), oss-stream reads back with its CRC64 check, continues and completes.
 *
 * ali-oss is pointed at the server as in ali-oss.spec.ts: an IP endpoint (virtual-host addressing with
 * `Host: <bucket>.oss-cn-hangzhou.aliyuncs.com`) over an IPv4-only keep-alive agent.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import OSS from 'ali-oss';
import { expect } from 'chai';
import { FileSlice, OssIntegrityError, type Bucket, type CompletedPart } from 'oss-stream';
import { chunked, md5Etag, oracleCrc, readAll, rejection } from '../support/bytes.js';
import { BUCKET, CRED, useLocalOss } from '../support/local-oss.js';

const KiB = 1024;

type Headers = Record<string, string>;

describe('interop: oss-stream and ali-oss on the same objects', function () {
  this.timeout(60_000);
  const oss = useLocalOss();
  const agents: Agent[] = [];
  const warnings: unknown[][] = [];
  const originalWarn = console.warn;

  function aliClient(authorizationV4: boolean): OSS {
    const agent = new Agent({ keepAlive: true, family: 4 });
    agents.push(agent);
    return new OSS({
      ...CRED,
      bucket: BUCKET,
      region: 'oss-cn-hangzhou',
      endpoint: oss.server.endpoint,
      authorizationV4,
      agent,
      timeout: 30_000,
    } as OSS.Options);
  }

  before(() => {
    console.warn = (...args: unknown[]) => void warnings.push(args);
  });
  after(() => {
    console.warn = originalWarn;
    for (const a of agents) a.destroy();
    expect(warnings, 'ali-oss printed warnings').to.deep.equal([]);
  });

  for (const signatureVersion of ['v1', 'v4'] as const) {
    describe(`oss-stream (${signatureVersion}) writes, ali-oss reads`, () => {
      let ours: Bucket;
      let ali: OSS;
      const k = (name: string): string => `ours-${signatureVersion}/${name}`;
      before(() => {
        ours = oss.client({ signatureVersion });
        ali = aliClient(signatureVersion === 'v4');
      });

      async function aliReads(key: string, expected: Buffer): Promise<Headers> {
        const got = (await ali.get(key)).content as Buffer;
        expect(got.length, `${key} length`).to.equal(expected.length);
        expect(got.equals(expected), `${key} bytes`).to.equal(true);
        const headers = (await ali.head(key)).res.headers as Headers;
        expect(headers['x-oss-hash-crc64ecma'], `${key} CRC64`).to.equal(oracleCrc(expected));
        return headers;
      }

      it('putObject from a string, bytes, streams, a file slice and 0 bytes', async () => {
        const data = randomBytes(333 * KiB + 3);
        const file = join(oss.dir, `interop-${signatureVersion}.bin`);
        await writeFile(file, data);
        const cases: Array<[string, Parameters<Bucket['putObject']>[1], Buffer]> = [
          ['unicode.txt', 'unicode ✓ 对象 😀', Buffer.from('unicode ✓ 对象 😀', 'utf8')],
          ['bytes.bin', data, data],
          ['readable.bin', Readable.from(chunked(data)), data],
          [
            'web.bin',
            new ReadableStream<Uint8Array>({
              start(c) {
                for (const x of chunked(data)) c.enqueue(x);
                c.close();
              },
            }),
            data,
          ],
          [
            'iterable.bin',
            (async function* () {
              yield* chunked(data);
            })(),
            data,
          ],
          ['slice.bin', new FileSlice(file, 1000, 100_000), data.subarray(1000, 101_000)],
          ['empty.bin', '', Buffer.alloc(0)],
          ['odd key/a b+c ü#?.txt', 'odd', Buffer.from('odd')],
        ];
        for (const [name, source, bytes] of cases) {
          const r = await ours.putObject(k(name), source);
          expect(r.crc64).to.equal(oracleCrc(bytes));
          const headers = await aliReads(k(name), bytes);
          expect(headers['etag']).to.equal(md5Etag(bytes));
        }
      });

      it('headers and metadata set by oss-stream are what ali-oss sees', async () => {
        await ours.putObject(k('story.txt'), 'a novel', {
          headers: { 'x-oss-meta-author': 'O. Henry', 'Cache-Control': 'no-cache' },
        });
        const head = await ali.head(k('story.txt'));
        expect((head as unknown as { meta: Record<string, string> }).meta).to.deep.equal({ author: 'O. Henry' });
        const h = head.res.headers as Headers;
        expect([h['content-type'], h['cache-control']]).to.deep.equal(['text/plain; charset=utf-8', 'no-cache']);
      });

      it('a multipart object of FileSlice parts', async () => {
        const data = randomBytes(450 * KiB + 7);
        const file = join(oss.dir, `interop-mp-${signatureVersion}.bin`);
        await writeFile(file, data);
        const { uploadId } = await ours.initMultipartUpload(k('multipart.bin'));
        const parts = [];
        for (let n = 1, off = 0; off < data.length; n++, off += 100 * KiB) {
          parts.push(
            await ours.uploadPart(
              k('multipart.bin'),
              uploadId,
              n,
              new FileSlice(file, off, Math.min(100 * KiB, data.length - off)),
            ),
          );
        }
        const done = await ours.completeMultipartUpload(k('multipart.bin'), uploadId, parts.reverse());
        expect(done.crc64).to.equal(oracleCrc(data));
        const headers = await aliReads(k('multipart.bin'), data);
        expect([headers['x-oss-object-type'], headers['etag']]).to.deep.equal(['Multipart', done.etag]);
      });

      it('an appendable object built by a CRC-checked append chain', async () => {
        const pieces = [randomBytes(10), randomBytes(70 * KiB), Buffer.from('end ✓')];
        let position = 0;
        let crc = '0';
        for (const p of pieces) {
          const r = await ours.appendObject(k('append.log'), position, p, { initCrc: crc });
          position = r.nextPosition;
          crc = r.crc64;
        }
        const all = Buffer.concat(pieces);
        const headers = await aliReads(k('append.log'), all);
        expect([headers['x-oss-object-type'], headers['x-oss-next-append-position']]).to.deep.equal([
          'Appendable',
          String(all.length),
        ]);
      });
    });

    describe(`ali-oss (${signatureVersion}) writes, oss-stream reads and verifies`, () => {
      let ours: Bucket;
      let ali: OSS;
      const k = (name: string): string => `ali-${signatureVersion}/${name}`;
      before(() => {
        ours = oss.client({ signatureVersion });
        ali = aliClient(signatureVersion === 'v4');
      });

      /** A full, CRC64-verified read by oss-stream, compared with `expected`. */
      async function oursReads(key: string, expected: Buffer): Promise<void> {
        const r = await ours.getObject(key);
        expect(r.crc64, `${key} CRC64 header`).to.equal(oracleCrc(expected));
        const got = await readAll(r.body);
        expect(got.equals(expected), `${key} bytes`).to.equal(true);
      }

      it('put: read back, head sees ETag, CRC64, type and metadata', async () => {
        const data = randomBytes(256 * KiB + 1);
        await ali.put(k('put.bin'), data, { headers: { 'x-oss-meta-origin': 'ali-oss' } } as OSS.PutObjectOptions);
        await oursReads(k('put.bin'), data);
        const h = await ours.headObject(k('put.bin'));
        expect([h.etag, h.crc64, h.size, h.objectType, h.meta]).to.deep.equal([
          md5Etag(data),
          oracleCrc(data),
          data.length,
          'Normal',
          { origin: 'ali-oss' },
        ]);
      });

      it('append: read back, then oss-stream continues the chain from headObject with a verified initCrc', async () => {
        const a = randomBytes(1000);
        const b = randomBytes(5000);
        const r1 = await ali.append(k('append.log'), a);
        await ali.append(k('append.log'), b, { position: r1.nextAppendPosition });
        await oursReads(k('append.log'), Buffer.concat([a, b]));
        const h = await ours.headObject(k('append.log'));
        expect([h.objectType, h.nextAppendPosition]).to.deep.equal(['Appendable', 6000]);
        const more = await ours.appendObject(k('append.log'), h.nextAppendPosition!, 'tail', { initCrc: h.crc64 });
        expect(more.crc64).to.equal(oracleCrc(Buffer.concat([a, b, Buffer.from('tail')])));
        expect(((await ali.get(k('append.log'))).content as Buffer).subarray(6000).toString()).to.equal('tail');
      });

      it('multipartUpload of a file: read back with the CRC64 check', async () => {
        const data = randomBytes(700 * KiB + 11);
        const file = join(oss.dir, `ali-mp-${signatureVersion}.bin`);
        await writeFile(file, data);
        await ali.multipartUpload(k('multipart.bin'), file, { partSize: 100 * KiB, parallel: 3 });
        await oursReads(k('multipart.bin'), data);
        expect((await ours.headObject(k('multipart.bin'))).objectType).to.equal('Multipart');
      });

      it('parts uploaded by ali-oss are listed by oss-stream and completed with a combined-CRC check', async () => {
        const data = randomBytes(250 * KiB);
        const { uploadId } = await ali.initMultipartUpload(k('handoff.bin'));
        await ali.uploadPart(k('handoff.bin'), uploadId, 1, data.subarray(0, 150 * KiB), 0, 150 * KiB);
        await ali.uploadPart(k('handoff.bin'), uploadId, 2, data.subarray(150 * KiB), 0, 100 * KiB);
        const listed = await ours.listParts(k('handoff.bin'), uploadId, { pageSize: 1 });
        expect(listed.map((p) => [p.partNumber, p.size, p.hashCrc64ecma])).to.deep.equal([
          [1, 150 * KiB, oracleCrc(data.subarray(0, 150 * KiB))],
          [2, 100 * KiB, oracleCrc(data.subarray(150 * KiB))],
        ]);
        const parts: CompletedPart[] = listed.map((p) => ({
          partNumber: p.partNumber,
          etag: p.etag,
          crc64: p.hashCrc64ecma,
          size: p.size,
        }));
        const done = await ours.completeMultipartUpload(k('handoff.bin'), uploadId, parts);
        expect([done.crc64, done.size]).to.deep.equal([oracleCrc(data), data.length]);
        expect(((await ali.get(k('handoff.bin'))).content as Buffer).equals(data)).to.equal(true);
      });

      it('the read check is live: a corrupted CRC64 on an ali-oss object fails the oss-stream read', async () => {
        await ali.put(k('checked.bin'), Buffer.from('checked'));
        oss.server.faults.add({ op: 'GetObject', action: { type: 'corrupt-crc64' } });
        const r = await ours.getObject(k('checked.bin'));
        expect(await rejection(readAll(r.body))).to.be.instanceOf(OssIntegrityError);
      });
    });
  }
});
