/**
 * The official `ali-oss` client, unchanged, against our local server: V1 and V4 signatures, virtual-host and
 * path-style addressing, byte-exact round trips.
 *
 * How ali-oss reaches 127.0.0.1 (read from its `getReqUrl`/`createRequest`):
 * - endpoint `http://127.0.0.1:<port>` (an IP): it keeps the bucket out of the URL and sends
 *   `Host: <bucket>.oss-cn-hangzhou.aliyuncs.com`, i.e. virtual-host addressing. It refuses to build presigned URLs
 *   for an IP endpoint.
 * - endpoint `http://localhost:<port>` with `sldEnable: true`: path-style `/<bucket>/<key>`, presigned URLs work.
 *   `*.localhost` names do not resolve everywhere (not here), so virtual-host never relies on DNS. The clients get
 *   an IPv4-only agent so `localhost` cannot resolve to `::1` while the server listens on 127.0.0.1.
 * ali-oss logs only through `debug` (silent unless DEBUG names it) and `console.warn`; the options below avoid
 * every warning it has (STS token without refresh settings, part-size clamping) and the suite asserts none fired.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import OSS from 'ali-oss';
import { expect } from 'chai';
import { OssServer } from '../../lib/server/index.js';

// The independent native CRC-64 oracle ships no type declarations.
const crc64ecma = createRequire(import.meta.url)('crc64-ecma182') as {
  crc64(data: Buffer): Buffer;
  toUInt64String(crc: Buffer): string;
};

const BUCKET = 'interop-bucket';
const CRED = { accessKeyId: 'interop-ak', accessKeySecret: 'interop-sk' };
const STS = { accessKeyId: 'STS.interop', accessKeySecret: 'interop-sts-sk', securityToken: 'interop-sts-token' };
const KIB = 1024;
const MIB = 1024 * KIB;

/** ali-oss options its type definitions leave out. */
type ClientOptions = OSS.Options & { sldEnable?: boolean; agent?: Agent };
/** What ali-oss errors carry (see its `requestError`). */
type AliError = Error & { status?: number; code?: string; ecCode?: string; requestId?: string };

interface Mode {
  readonly label: string;
  readonly authorizationV4: boolean;
  readonly addressing: 'virtual-host' | 'path-style';
}

const MODES: readonly Mode[] = [
  { label: 'V1, virtual-host', authorizationV4: false, addressing: 'virtual-host' },
  { label: 'V1, path-style', authorizationV4: false, addressing: 'path-style' },
  { label: 'V4, virtual-host', authorizationV4: true, addressing: 'virtual-host' },
  { label: 'V4, path-style', authorizationV4: true, addressing: 'path-style' },
];

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

function md5Etag(b: Uint8Array): string {
  return `"${createHash('md5').update(b).digest('hex').toUpperCase()}"`;
}

/** CRC-64/XZ by the independent native implementation, as the decimal string OSS sends. */
function crc64(b: Buffer): string {
  return crc64ecma.toUInt64String(crc64ecma.crc64(b));
}

function expectSameBytes(actual: Buffer, expected: Buffer): void {
  expect(actual.length, 'length').to.equal(expected.length);
  expect(sha256(actual), 'sha256').to.equal(sha256(expected));
}

async function rejection(promise: Promise<unknown>): Promise<AliError> {
  try {
    await promise;
  } catch (err) {
    return err as AliError;
  }
  throw new Error('expected the call to fail');
}

/** Chunks of irregular sizes, so the server sees many small writes. */
function chunked(data: Buffer, sizes: readonly number[] = [1, 7, 4093, 65_536, 100_003]): Readable {
  const chunks: Buffer[] = [];
  for (let off = 0, i = 0; off < data.length; i++) {
    const n = sizes[i % sizes.length]!;
    chunks.push(data.subarray(off, off + n));
    off += n;
  }
  return Readable.from(chunks);
}

/** A presigned URL fetched over IPv4: same path and query, only the name resolution is pinned. */
function viaIPv4(url: string): string {
  return url.replace('//localhost:', '//127.0.0.1:');
}

describe('interop: ali-oss against the local server', function () {
  this.timeout(60_000);

  let server: OssServer;
  let dir: string;
  const agents: Agent[] = [];
  const warnings: unknown[][] = [];
  const originalWarn = console.warn;

  function client(mode: Mode, overrides: Partial<ClientOptions> = {}): OSS {
    const agent = new Agent({ keepAlive: true, family: 4 });
    agents.push(agent);
    const port = new URL(server.endpoint).port;
    const options: ClientOptions = {
      ...CRED,
      bucket: BUCKET,
      region: 'oss-cn-hangzhou',
      authorizationV4: mode.authorizationV4,
      agent,
      timeout: 30_000,
      ...(mode.addressing === 'virtual-host'
        ? { endpoint: server.endpoint }
        : { endpoint: `http://localhost:${port}`, sldEnable: true }),
      ...overrides,
    };
    return new OSS(options);
  }

  before(async () => {
    console.warn = (...args: unknown[]) => void warnings.push(args);
    dir = await mkdtemp(join(tmpdir(), 'oss-interop-'));
    server = await OssServer.start({ credentials: [CRED, STS], buckets: [BUCKET], region: 'cn-hangzhou' });
    expect(server.endpoint).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  after(async () => {
    console.warn = originalWarn;
    for (const agent of agents) agent.destroy();
    await server?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    // urllib (ali-oss's HTTP client) logs "callback twice" / "socket hang up" when ali-oss's cancel() destroys the
    // body streams of parts in flight; the resume case does that on purpose. Anything else is unexpected.
    const unexpected = warnings.filter((w) => !(typeof w[0] === 'string' && w[0].startsWith('[urllib:warn]')));
    expect(unexpected, 'ali-oss printed warnings').to.deep.equal([]);
  });

  for (const mode of MODES) {
    describe(mode.label, () => {
      let oss: OSS;
      /** Path-style client used for presigned URLs (ali-oss builds none for an IP endpoint). */
      let urls: OSS;
      const prefix = `${mode.authorizationV4 ? 'v4' : 'v1'}-${mode.addressing}/`;
      const k = (name: string): string => prefix + name;

      before(() => {
        oss = client(mode);
        urls = client({ ...mode, addressing: 'path-style' });
      });

      describe('put', () => {
        it('put(Buffer) stores the bytes and answers their MD5 ETag and CRC64', async () => {
          const body = randomBytes(256 * KIB + 7);
          const put = await oss.put(k('buffer.bin'), body);
          expect(put.res.status).to.equal(200);
          expect(put.res.headers['etag' as keyof typeof put.res.headers]).to.equal(md5Etag(body));
          expect((put.res.headers as Record<string, string>)['x-oss-hash-crc64ecma']).to.equal(crc64(body));
          const got = await oss.get(k('buffer.bin'));
          expectSameBytes(got.content as Buffer, body);
        });

        it('put(Buffer) of zero bytes', async () => {
          await oss.put(k('empty.bin'), Buffer.alloc(0));
          const got = await oss.get(k('empty.bin'));
          expect((got.content as Buffer).length).to.equal(0);
          expect((got.res.headers as Record<string, string>)['x-oss-hash-crc64ecma']).to.equal('0');
        });

        it('put(file path) streams the file with its Content-Length and the type of its extension', async () => {
          const body = randomBytes(MIB + 3);
          const file = join(dir, `${prefix.replace('/', '-')}data.json`);
          await writeFile(file, body);
          const put = await oss.put(k('dir/data.json'), file);
          expect(put.res.status).to.equal(200);
          const head = await oss.head(k('dir/data.json'));
          expect((head.res.headers as Record<string, string>)['content-type']).to.equal('application/json');
          expect((head.res.headers as Record<string, string>)['content-length']).to.equal(String(body.length));
          expectSameBytes((await oss.get(k('dir/data.json'))).content as Buffer, body);
        });

        it('put(Readable) sends chunked transfer encoding', async () => {
          const body = randomBytes(700 * KIB + 11);
          const put = await oss.put(k('stream.bin'), chunked(body));
          expect((put.res.headers as Record<string, string>)['x-oss-hash-crc64ecma']).to.equal(crc64(body));
          expectSameBytes((await oss.get(k('stream.bin'))).content as Buffer, body);
        });

        it('putStream without contentLength (chunked) and with contentLength', async () => {
          const body = randomBytes(333 * KIB + 1);
          await oss.putStream(k('put-stream-chunked.bin'), chunked(body));
          expectSameBytes((await oss.get(k('put-stream-chunked.bin'))).content as Buffer, body);
          await oss.putStream(k('put-stream-length.bin'), chunked(body), {
            contentLength: body.length,
          } as OSS.PutStreamOptions);
          expectSameBytes((await oss.get(k('put-stream-length.bin'))).content as Buffer, body);
        });

        it('keys with spaces, plus signs, unicode and reserved characters round-trip under their exact name', async () => {
          const key = k('odd/a b+c%20d&e=f?g#h ünï 中文.txt');
          const body = Buffer.from('odd key');
          await oss.put(key, body);
          expectSameBytes((await oss.get(key)).content as Buffer, body);
          expect((await oss.head(key)).status).to.equal(200);
          expect((await rejection(oss.head(k('odd/a b+c d&e=f?g#h ünï 中文.txt')))).status).to.equal(404);
        });

        it('list() with prefix and max-keys names the objects (ali-oss reads Contents/Owner)', async () => {
          await oss.put(k('listed/one.txt'), Buffer.from('1'));
          await oss.put(k('listed/two words.txt'), Buffer.from('22'));
          const listed = await oss.list({ prefix: k('listed/'), 'max-keys': 10 }, {});
          expect(listed.objects.map((o) => [o.name, o.size])).to.deep.equal([
            [k('listed/one.txt'), 1],
            [k('listed/two words.txt'), 2],
          ]);
        });
      });

      describe('append', () => {
        it('appends at the positions the server reports and keeps the whole-object CRC64', async () => {
          const key = k('append.log');
          const a = randomBytes(1000);
          const b = randomBytes(2000);
          const c = randomBytes(3);
          const r1 = await oss.append(key, a);
          expect(r1.nextAppendPosition).to.equal('1000');
          const r2 = await oss.append(key, chunked(b), { position: r1.nextAppendPosition });
          expect(r2.nextAppendPosition).to.equal('3000');
          expect((r2.res.headers as Record<string, string>)['x-oss-hash-crc64ecma']).to.equal(
            crc64(Buffer.concat([a, b])),
          );
          const r3 = await oss.append(key, c, { position: 3000 as unknown as string });
          expect(r3.nextAppendPosition).to.equal('3003');
          const head = await oss.head(key);
          const headers = head.res.headers as Record<string, string>;
          expect(headers['x-oss-object-type']).to.equal('Appendable');
          expect(headers['x-oss-next-append-position']).to.equal('3003');
          expectSameBytes((await oss.get(key)).content as Buffer, Buffer.concat([a, b, c]));
        });

        it('answers 409 PositionNotEqualToLength for a stale position and leaves the object unchanged', async () => {
          const key = k('append-stale.log');
          const a = randomBytes(10);
          await oss.append(key, a);
          for (const position of ['0', '5', '11']) {
            const err = await rejection(oss.append(key, Buffer.from('x'), { position }));
            expect({ status: err.status, code: err.code }, `position ${position}`).to.deep.equal({
              status: 409,
              code: 'PositionNotEqualToLength',
            });
          }
          expectSameBytes((await oss.get(key)).content as Buffer, a);
        });

        it('answers 409 ObjectNotAppendable on a Normal object, and a put turns an appendable object Normal', async () => {
          const key = k('normal.bin');
          const body = randomBytes(10);
          await oss.put(key, body);
          for (const position of ['0', '10']) {
            const err = await rejection(oss.append(key, Buffer.from('x'), { position }));
            expect({ status: err.status, code: err.code }, `position ${position}`).to.deep.equal({
              status: 409,
              code: 'ObjectNotAppendable',
            });
          }
          const appendable = k('append-then-put.log');
          await oss.append(appendable, Buffer.from('abc'));
          await oss.put(appendable, body);
          const head = await oss.head(appendable);
          expect((head.res.headers as Record<string, string>)['x-oss-object-type']).to.equal('Normal');
          const err = await rejection(oss.append(appendable, Buffer.from('x'), { position: '10' }));
          expect(err.code).to.equal('ObjectNotAppendable');
        });
      });

      describe('multipart', () => {
        it('multipartUpload uploads parts in parallel and completes a byte-exact Multipart object', async () => {
          const body = randomBytes(2 * MIB + 512 * KIB + 1); // 11 parts of 256 KiB, the last one 1 byte
          const file = join(dir, `${prefix.replace('/', '-')}multipart.bin`);
          await writeFile(file, body);
          const progress: number[] = [];
          const result = await oss.multipartUpload(k('multipart.bin'), file, {
            partSize: 256 * KIB,
            parallel: 4,
            progress: async (p: number) => void progress.push(p),
          });
          expect(result.res.status).to.equal(200);
          // 0 after InitiateMultipartUpload, one value per part, 1 after CompleteMultipartUpload.
          expect(progress.length).to.equal(13);
          expect(progress[0]).to.equal(0);
          expect(progress[12]).to.equal(1);
          const completeHeaders = result.res.headers as Record<string, string>;
          expect(completeHeaders['x-oss-hash-crc64ecma']).to.equal(crc64(body));
          const head = await oss.head(k('multipart.bin'));
          const headers = head.res.headers as Record<string, string>;
          expect(headers['x-oss-object-type']).to.equal('Multipart');
          expect(headers['etag']).to.match(/^"[0-9A-F]{32}-11"$/);
          expect(headers['content-length']).to.equal(String(body.length));
          expectSameBytes((await oss.get(k('multipart.bin'))).content as Buffer, body);
        });

        it('multipartUpload of a Buffer', async () => {
          const body = randomBytes(650 * KIB);
          await oss.multipartUpload(k('multipart-buffer.bin'), body, { partSize: 200 * KIB, parallel: 3 });
          expectSameBytes((await oss.get(k('multipart-buffer.bin'))).content as Buffer, body);
        });

        it('resumes from its checkpoint after a cancel, re-sending only missing parts', async () => {
          const key = k('resume.bin');
          const body = randomBytes(2 * MIB + 5); // 17 parts of 128 KiB
          const file = join(dir, `${prefix.replace('/', '-')}resume.bin`);
          await writeFile(file, body);
          let checkpoint: OSS.Checkpoint | undefined;
          let cancelled = false;
          const err = await rejection(
            oss.multipartUpload(key, file, {
              partSize: 128 * KIB,
              parallel: 2,
              progress: async (_p: number, cpt: OSS.Checkpoint) => {
                if (cpt !== undefined) checkpoint = { ...cpt, doneParts: [...cpt.doneParts] };
                if (!cancelled && cpt !== undefined && cpt.doneParts.length >= 4) {
                  cancelled = true;
                  oss.cancel();
                }
              },
            }),
          );
          expect(err.name).to.equal('cancel');
          expect(checkpoint).to.not.equal(undefined);
          const done = checkpoint!.doneParts.map((p) => p.number).sort((x, y) => x - y);
          expect(done.length).to.be.within(4, 16);
          // The object does not exist yet; the upload holds at least the parts the checkpoint lists, intact.
          expect((await rejection(oss.head(key))).status).to.equal(404);
          const listed = await oss.listParts(key, checkpoint!.uploadId, {} as OSS.ListPartsQuery, {});
          const parts = ([] as { PartNumber: string; Size: string; ETag: string }[]).concat(listed.parts as never);
          const byNumber = new Map(parts.map((p) => [Number(p.PartNumber), p]));
          for (const n of done) {
            const slice = body.subarray((n - 1) * 128 * KIB, n * 128 * KIB);
            expect(byNumber.get(n)?.ETag, `part ${n}`).to.equal(md5Etag(slice));
            expect(byNumber.get(n)?.Size, `part ${n}`).to.equal(String(slice.length));
          }
          const partsBefore = server.stats.op('UploadPart').requests;
          const resumed: number[] = [];
          const result = await oss.multipartUpload(key, file, {
            checkpoint: checkpoint!,
            partSize: 128 * KIB,
            parallel: 2,
            progress: async (_p: number, cpt: OSS.Checkpoint) => void (cpt && resumed.push(cpt.doneParts.length)),
          });
          expect(result.res.status).to.equal(200);
          expect(resumed[0]).to.equal(done.length + 1);
          expect(server.stats.op('UploadPart').requests - partsBefore, 'parts sent on resume').to.equal(
            17 - done.length,
          );
          expectSameBytes((await oss.get(key)).content as Buffer, body);
        });

        it('initMultipartUpload, uploadPart, listParts (paginated), abortMultipartUpload, then NoSuchUpload', async () => {
          const key = k('aborted.bin');
          const body = randomBytes(100 * KIB + 1234);
          const file = join(dir, `${prefix.replace('/', '-')}parts.bin`);
          await writeFile(file, body);
          const init = await oss.initMultipartUpload(key);
          expect(init.uploadId).to.be.a('string').and.not.equal('');
          const p1 = await oss.uploadPart(key, init.uploadId, 1, file, 0, 100 * KIB);
          const p2 = await oss.uploadPart(key, init.uploadId, 2, file, 100 * KIB, body.length);
          expect(p1.etag).to.equal(md5Etag(body.subarray(0, 100 * KIB)));
          expect(p2.etag).to.equal(md5Etag(body.subarray(100 * KIB)));
          const page1 = await oss.listParts(key, init.uploadId, { 'max-parts': 1 } as OSS.ListPartsQuery, {});
          expect(page1.isTruncated).to.equal('true');
          expect(page1.nextPartNumberMarker).to.equal('1');
          const first = ([] as { PartNumber: string; Size: string; ETag: string }[]).concat(page1.parts as never);
          expect(first.map((p) => [p.PartNumber, p.Size, p.ETag])).to.deep.equal([['1', String(100 * KIB), p1.etag]]);
          const page2 = await oss.listParts(
            key,
            init.uploadId,
            { 'max-parts': 1, 'part-number-marker': 1 } as OSS.ListPartsQuery,
            {},
          );
          expect(page2.isTruncated).to.equal('false');
          const second = ([] as { PartNumber: string; Size: string; ETag: string }[]).concat(page2.parts as never);
          expect(second.map((p) => [p.PartNumber, p.Size, p.ETag])).to.deep.equal([['2', '1234', p2.etag]]);
          const aborted = await oss.abortMultipartUpload(key, init.uploadId);
          expect((aborted as unknown as { res: { status: number } }).res.status).to.equal(204);
          const err = await rejection(oss.listParts(key, init.uploadId, {} as OSS.ListPartsQuery, {}));
          expect({ status: err.status, code: err.code }).to.deep.equal({ status: 404, code: 'NoSuchUpload' });
          const again = await rejection(oss.abortMultipartUpload(key, init.uploadId));
          expect({ status: again.status, code: again.code }).to.deep.equal({ status: 404, code: 'NoSuchUpload' });
        });
      });

      describe('head and get', () => {
        const key = (): string => k('meta.txt');
        const body = randomBytes(4000);

        before(async () => {
          await oss.put(key(), body, {
            mime: 'text/plain',
            meta: { author: 'alice', project: 'interop' } as unknown as OSS.UserMeta,
            headers: { 'Cache-Control': 'no-cache', 'Content-Disposition': 'attachment; filename="m.txt"' },
          });
        });

        it('head answers size, type, ETag, CRC64, object type and user metadata', async () => {
          const head = await oss.head(key());
          const headers = head.res.headers as Record<string, string>;
          expect(head.status).to.equal(200);
          expect(head.meta).to.deep.equal({ author: 'alice', project: 'interop' });
          expect(headers['content-length']).to.equal('4000');
          expect(headers['content-type']).to.equal('text/plain');
          expect(headers['etag']).to.equal(md5Etag(body));
          expect(headers['x-oss-hash-crc64ecma']).to.equal(crc64(body));
          expect(headers['x-oss-object-type']).to.equal('Normal');
          expect(headers['cache-control']).to.equal('no-cache');
          expect(headers['content-disposition']).to.equal('attachment; filename="m.txt"');
        });

        it('head of a missing key is a 404 NoSuchKey', async () => {
          const err = await rejection(oss.head(k('missing.txt')));
          expect({ status: err.status, code: err.code }).to.deep.equal({ status: 404, code: 'NoSuchKey' });
        });

        it('get with Range answers 206 and exactly the requested bytes', async () => {
          const part = await oss.get(key(), { headers: { Range: 'bytes=100-1099' } });
          expect(part.res.status).to.equal(206);
          expect((part.res.headers as Record<string, string>)['content-range']).to.equal('bytes 100-1099/4000');
          expectSameBytes(part.content as Buffer, body.subarray(100, 1100));
          const open = await oss.get(key(), { headers: { Range: 'bytes=3990-' } });
          expectSameBytes(open.content as Buffer, body.subarray(3990));
          const suffix = await oss.get(key(), { headers: { Range: 'bytes=-10' } });
          expect(suffix.res.status).to.equal(206);
          expectSameBytes(suffix.content as Buffer, body.subarray(3990));
        });

        if (mode.authorizationV4)
          it('a Range header signed as an additional header', async () => {
            const part = await oss.get(key(), {
              headers: { Range: 'bytes=0-9' },
              additionalHeaders: ['range'],
            } as OSS.GetObjectOptions);
            expect(part.res.status).to.equal(206);
            expectSameBytes(part.content as Buffer, body.subarray(0, 10));
          });

        it('get with a Range that starts past the end answers 200 and the whole object, as OSS does', async () => {
          const whole = await oss.get(key(), { headers: { Range: 'bytes=5000-6000' } });
          expect(whole.res.status).to.equal(200);
          expectSameBytes(whole.content as Buffer, body);
        });
      });

      describe('presigned URLs used with fetch', () => {
        async function presign(
          method: 'GET' | 'PUT',
          key: string,
          expires: number,
          contentType?: string,
        ): Promise<string> {
          if (mode.authorizationV4) {
            return urls.signatureUrlV4(
              method,
              expires,
              contentType === undefined ? undefined : { headers: { 'Content-Type': contentType } },
              key,
            );
          }
          const options: OSS.SignatureUrlOptions = { method, expires };
          if (contentType !== undefined) options['Content-Type'] = contentType;
          return urls.signatureUrl(key, options);
        }

        it('GET downloads the object byte-exact', async () => {
          const body = randomBytes(300 * KIB);
          await oss.put(k('signed-get.bin'), body);
          const url = await presign('GET', k('signed-get.bin'), 120);
          expect(url).to.contain(mode.authorizationV4 ? 'x-oss-signature=' : 'Signature=');
          const res = await fetch(viaIPv4(url));
          expect(res.status).to.equal(200);
          expectSameBytes(Buffer.from(await res.arrayBuffer()), body);
        });

        it('PUT uploads with the signed Content-Type, and only with it', async () => {
          const key = k('signed put/ü+.bin');
          const body = randomBytes(200 * KIB + 5);
          const url = await presign('PUT', key, 120, 'application/octet-stream');
          const res = await fetch(viaIPv4(url), {
            method: 'PUT',
            headers: { 'content-type': 'application/octet-stream' },
            body,
          });
          expect(res.status, await res.clone().text()).to.equal(200);
          expect(res.headers.get('x-oss-hash-crc64ecma')).to.equal(crc64(body));
          expectSameBytes((await oss.get(key)).content as Buffer, body);
          const wrongType = await fetch(viaIPv4(url), {
            method: 'PUT',
            headers: { 'content-type': 'text/plain' },
            body,
          });
          expect(wrongType.status).to.equal(403);
          expect(await wrongType.text()).to.contain('<Code>SignatureDoesNotMatch</Code>');
        });

        if (mode.authorizationV4)
          it('x-oss-additional-headers binds the Range header to the URL', async () => {
            const body = randomBytes(100);
            await oss.put(k('signed-range.bin'), body);
            const url = await urls.signatureUrlV4(
              'GET',
              60,
              { headers: { range: 'bytes=10-19' } },
              k('signed-range.bin'),
              ['range'],
            );
            expect(url).to.contain('x-oss-additional-headers=range');
            const res = await fetch(viaIPv4(url), { headers: { range: 'bytes=10-19' } });
            expect(res.status).to.equal(206);
            expectSameBytes(Buffer.from(await res.arrayBuffer()), body.subarray(10, 20));
            const other = await fetch(viaIPv4(url), { headers: { range: 'bytes=0-99' } });
            expect(other.status).to.equal(403);
            expect(await other.text()).to.contain('<Code>SignatureDoesNotMatch</Code>');
          });

        it('a URL for another key is rejected with SignatureDoesNotMatch', async () => {
          await oss.put(k('signed-a.txt'), Buffer.from('a'));
          await oss.put(k('signed-b.txt'), Buffer.from('b'));
          const url = await presign('GET', k('signed-a.txt'), 120);
          const res = await fetch(viaIPv4(url.replace('signed-a.txt', 'signed-b.txt')));
          expect(res.status).to.equal(403);
          expect(await res.text()).to.contain('<Code>SignatureDoesNotMatch</Code>');
        });

        it('an expired URL is rejected with AccessDenied "Request has expired."', async () => {
          await oss.put(k('signed-expired.txt'), Buffer.from('x'));
          let url: string;
          if (mode.authorizationV4) {
            url = await presign('GET', k('signed-expired.txt'), 1);
            await new Promise((r) => setTimeout(r, 2100)); // the wait is the thing: the URL's 1 s runs out
          } else {
            // ali-oss takes the expiry relative to now; a negative one is already past.
            url = await presign('GET', k('signed-expired.txt'), -1);
          }
          const res = await fetch(viaIPv4(url));
          expect(res.status).to.equal(403);
          const text = await res.text();
          expect(text).to.contain('<Code>AccessDenied</Code>');
          expect(text).to.contain('<Message>Request has expired.</Message>');
        });
      });

      describe('authentication failures', () => {
        it('a wrong secret gets 403 SignatureDoesNotMatch', async () => {
          const bad = client(mode, { accessKeySecret: 'not-the-secret' });
          const err = await rejection(bad.put(k('denied.bin'), Buffer.from('x')));
          expect({ status: err.status, code: err.code }).to.deep.equal({ status: 403, code: 'SignatureDoesNotMatch' });
          expect((await rejection(oss.head(k('denied.bin')))).status).to.equal(404);
          // HEAD errors have no body: ali-oss decodes the base64 x-oss-err header instead.
          const headErr = await rejection(bad.head(k('meta.txt')));
          expect({ status: headErr.status, code: headErr.code, ec: headErr.ecCode }).to.deep.equal({
            status: 403,
            code: 'SignatureDoesNotMatch',
            ec: mode.authorizationV4 ? '0002-00000201' : '0002-00000040',
          });
        });

        it('an unknown key id gets 403 InvalidAccessKeyId', async () => {
          const bad = client(mode, { accessKeyId: 'nobody' });
          const err = await rejection(bad.get(k('meta.txt')));
          expect({ status: err.status, code: err.code }).to.deep.equal({ status: 403, code: 'InvalidAccessKeyId' });
        });

        it('STS credentials work with their token and fail with another', async () => {
          const sts = {
            accessKeyId: STS.accessKeyId,
            accessKeySecret: STS.accessKeySecret,
            refreshSTSTokenInterval: 3_600_000,
          };
          const good = client(mode, { ...sts, stsToken: STS.securityToken });
          const body = randomBytes(1000);
          await good.put(k('sts.bin'), body);
          expectSameBytes((await good.get(k('sts.bin'))).content as Buffer, body);
          const goodUrls = client({ ...mode, addressing: 'path-style' }, { ...sts, stsToken: STS.securityToken });
          const url = mode.authorizationV4
            ? await goodUrls.signatureUrlV4('GET', 60, undefined, k('sts.bin'))
            : goodUrls.signatureUrl(k('sts.bin'), { expires: 60 });
          const res = await fetch(viaIPv4(url));
          expect(res.status).to.equal(200);
          expectSameBytes(Buffer.from(await res.arrayBuffer()), body);
          const bad = client(mode, { ...sts, stsToken: 'forged-token' });
          const err = await rejection(bad.get(k('sts.bin')));
          expect({ status: err.status, code: err.code }).to.deep.equal({ status: 403, code: 'InvalidSecurityToken' });
        });
      });
    });
  }
});
