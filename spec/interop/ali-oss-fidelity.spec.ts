/**
 * The official `ali-oss` client, unchanged, against the local server where the server's answers must look like OSS's
 * to the letter: messages the SDK's own tests assert on, metadata OSS echoes (encryption, storage class, ACL), sizes
 * in headers, request framing the SDK produces, throttling. Addressing and signing modes are covered by
 * `ali-oss.spec.ts`; here each check runs with V1 and V4 over virtual-host addressing.
 */
import { Agent } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import OSS from 'ali-oss';
import { expect } from 'chai';
import { OssServer } from '../../lib/server/index.js';

const BUCKET = 'fidelity-bucket';
const CRED = { accessKeyId: 'fidelity-ak', accessKeySecret: 'fidelity-sk' };

type ClientOptions = OSS.Options & { agent?: Agent };
type AliError = Error & { status?: number; code?: string; requestId?: string };
/** ali-oss methods its type definitions leave out. */
interface Untyped {
  getObjectMeta(name: string): Promise<{ status: number; res: { headers: Record<string, string> } }>;
  listBuckets(
    query: Record<string, string | number>,
  ): Promise<{ buckets: Array<{ name: string }>; isTruncated: boolean; nextMarker: string | null }>;
}

async function rejection(promise: Promise<unknown>): Promise<AliError> {
  try {
    await promise;
  } catch (err) {
    return err as AliError;
  }
  throw new Error('expected the call to fail');
}

describe('interop: ali-oss sees OSS-exact answers', function () {
  this.timeout(60_000);
  let server: OssServer;
  const agents: Agent[] = [];

  before(async () => {
    server = await OssServer.start({
      credentials: [CRED],
      buckets: [BUCKET, 'tmp-1', 'tmp-2', 'tmp-3'],
      region: 'cn-hangzhou',
    });
  });
  after(async () => {
    for (const agent of agents) agent.destroy();
    await server?.close();
  });

  for (const v4 of [false, true]) {
    describe(v4 ? 'V4' : 'V1', () => {
      let oss: OSS;
      const k = (name: string): string => `${v4 ? 'v4' : 'v1'}/${name}`;
      before(() => {
        const agent = new Agent({ keepAlive: true, family: 4 });
        agents.push(agent);
        const options: ClientOptions = {
          ...CRED,
          bucket: BUCKET,
          region: 'oss-cn-hangzhou',
          authorizationV4: v4,
          agent,
          endpoint: server.endpoint,
        };
        oss = new OSS(options);
      });

      it('a stale append position fails with the exact message ali-oss tests assert', async () => {
        await oss.append(k('stale.log'), Buffer.from('foo'));
        const err = await rejection(oss.append(k('stale.log'), Buffer.from('foo')));
        expect([err.name, err.code, err.status, err.message]).to.deep.equal([
          'PositionNotEqualToLengthError',
          'PositionNotEqualToLength',
          409,
          'Position is not equal to file length',
        ]);
      });

      it('a missing key and a failed precondition carry the messages ali-oss tests assert', async () => {
        const missing = await rejection(oss.get(k('not-exists-key')));
        expect([missing.name, missing.status, missing.message]).to.deep.equal([
          'NoSuchKeyError',
          404,
          'The specified key does not exist.',
        ]);
        await oss.put(k('cond.txt'), Buffer.from('x'));
        const lastYear = new Date(Date.now() - 365 * 86_400_000).toUTCString();
        const failed = await rejection(oss.get(k('cond.txt'), { headers: { 'If-Unmodified-Since': lastYear } }));
        expect([failed.name, failed.status, failed.message]).to.deep.equal([
          'PreconditionFailedError',
          412,
          'At least one of the pre-conditions you specified did not hold. (condition: If-Unmodified-Since)',
        ]);
      });

      it("server-side encryption is echoed on put, head, and a multipart upload's object", async () => {
        const sse = { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'kms-key-1' };
        const put = await oss.put(k('sse.bin'), randomBytes(100), { headers: sse });
        const putHeaders = put.res.headers as Record<string, string>;
        expect([
          putHeaders['x-oss-server-side-encryption'],
          putHeaders['x-oss-server-side-encryption-key-id'],
        ]).to.deep.equal(['KMS', 'kms-key-1']);
        const head = await oss.head(k('sse.bin'));
        const headHeaders = head.res.headers as Record<string, string>;
        expect([
          headHeaders['x-oss-server-side-encryption'],
          headHeaders['x-oss-server-side-encryption-key-id'],
        ]).to.deep.equal(['KMS', 'kms-key-1']);
        await oss.multipartUpload(k('sse-mp.bin'), randomBytes(300 * 1024), {
          partSize: 100 * 1024,
          headers: { 'x-oss-server-side-encryption': 'AES256' },
        });
        const mpHead = await oss.head(k('sse-mp.bin'));
        const mpHeaders = mpHead.res.headers as Record<string, string>;
        expect([
          mpHeaders['x-oss-server-side-encryption'],
          mpHeaders['x-oss-object-type'],
          mpHeaders['x-oss-storage-class'],
        ]).to.deep.equal(['AES256', 'Multipart', 'Standard']);
      });

      it('listBuckets pages by prefix, max-keys and marker', async () => {
        const first = await (oss as unknown as Untyped).listBuckets({ prefix: 'tmp-', 'max-keys': 2 });
        expect([first.buckets.map((b) => b.name), first.isTruncated, first.nextMarker]).to.deep.equal([
          ['tmp-1', 'tmp-2'],
          true,
          'tmp-2',
        ]);
        const second = await (oss as unknown as Untyped).listBuckets({
          prefix: 'tmp-',
          'max-keys': 2,
          marker: first.nextMarker!,
        });
        expect([second.buckets.map((b) => b.name), second.isTruncated]).to.deep.equal([['tmp-3'], false]);
      });

      it('put(stream) with a Content-Length header (sent with chunked encoding too) stores the bytes', async () => {
        const body = randomBytes(200_003);
        const chunks = [body.subarray(0, 1), body.subarray(1, 70_000), body.subarray(70_000)];
        const put = await oss.put(k('stream-with-length.bin'), Readable.from(chunks), {
          headers: { 'Content-Length': String(body.length) },
        });
        expect(put.res.status).to.equal(200);
        const got = (await oss.get(k('stream-with-length.bin'))).content as Buffer;
        expect(createHash('sha256').update(got).digest('hex')).to.equal(
          createHash('sha256').update(body).digest('hex'),
        );
      });

      it('get with Accept-Encoding: gzip reads back the text OSS compresses', async () => {
        const text = Buffer.from('{"line":"the quick brown fox"}\n'.repeat(200));
        await oss.put(k('doc.json'), text, { mime: 'application/json' });
        const plain = await oss.get(k('doc.json'));
        expect((plain.content as Buffer).equals(text)).to.equal(true);
        const gz = await oss.get(k('doc.json'), { headers: { 'Accept-Encoding': 'gzip' } });
        const headers = gz.res.headers as Record<string, string>;
        expect(headers['content-encoding']).to.equal('gzip');
        // urllib (ali-oss's HTTP client) inflates a gzip answer, so the caller gets the object's bytes.
        expect((gz.content as Buffer).equals(text)).to.equal(true);
      });

      it('x-oss-traffic-limit throttles put and get to the limit', async () => {
        const body = randomBytes(50 * 1024);
        const limit = { 'x-oss-traffic-limit': '819200' }; // 100 KiB/s
        // 50 KiB at 100 KiB/s: at least 500 ms each way (less the 2 KiB a download's last slice carries).
        const t0 = performance.now();
        await oss.put(k('slow.bin'), body, { headers: limit });
        const putMs = performance.now() - t0;
        const t1 = performance.now();
        const got = await oss.get(k('slow.bin'), { headers: limit });
        const getMs = performance.now() - t1;
        expect((got.content as Buffer).equals(body)).to.equal(true);
        expect(putMs).to.be.at.least(495);
        expect(getMs).to.be.at.least(475);
      });

      it('getObjectMeta reports the object size in Content-Length', async () => {
        const body = randomBytes(12_345);
        await oss.put(k('meta.bin'), body);
        const meta = await (oss as unknown as Untyped).getObjectMeta(k('meta.bin'));
        const headers = meta.res.headers;
        expect([meta.status, headers['content-length'], headers['x-oss-object-size']]).to.deep.equal([
          200,
          '12345',
          '12345',
        ]);
      });
    });
  }
});
