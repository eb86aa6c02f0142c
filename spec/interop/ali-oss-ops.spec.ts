/**
 * The official `ali-oss` client, unchanged, calling the operations beyond uploads that users' code and the SDK's own
 * tests call: copy (and rename), uploadPartCopy, deleteMulti, listV2, putSymlink/getSymlink,
 * putObjectTagging/getObjectTagging, `x-oss-tagging` on put, and PostObject forms signed by ali-oss's own
 * `calculatePostSignature` (V1) and `signPostObjectPolicyV4` (V4). Also what it gets for operations the server
 * does not implement (image processing, LiveChannel): 501 NotImplemented, nothing stored. Addressing as in
 * `ali-oss.spec.ts`: an IP endpoint is virtual-host, `localhost` with `sldEnable` is path-style.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import OSS from 'ali-oss';
import { expect } from 'chai';
import { OssServer } from '../../lib/server/index.js';

const BUCKET = 'interop-ops';
const OTHER = 'interop-ops-other';
const CRED = { accessKeyId: 'ops-ak', accessKeySecret: 'ops-sk' };
const KIB = 1024;

type ClientOptions = OSS.Options & { sldEnable?: boolean; agent?: Agent };
type AliError = Error & { status?: number; code?: string; requestId?: string };
type Headers = Record<string, string>;
/** ali-oss methods its type definitions leave out. */
interface Untyped {
  putObjectTagging(name: string, tag: Record<string, string>): Promise<{ status: number }>;
  getObjectTagging(name: string): Promise<{ status: number; tag: Record<string, string> }>;
  signPostObjectPolicyV4(policy: object, date: Date): string;
}

interface Mode {
  readonly label: string;
  readonly authorizationV4: boolean;
  readonly addressing: 'virtual-host' | 'path-style';
}

const MODES: readonly Mode[] = [
  { label: 'V1, virtual-host', authorizationV4: false, addressing: 'virtual-host' },
  { label: 'V4, path-style', authorizationV4: true, addressing: 'path-style' },
];

function md5Etag(b: Uint8Array): string {
  return `"${createHash('md5').update(b).digest('hex').toUpperCase()}"`;
}

function headers(r: { res: unknown }): Headers {
  return (r.res as { headers: Headers }).headers;
}

async function rejection(promise: Promise<unknown>): Promise<AliError> {
  try {
    await promise;
  } catch (err) {
    return err as AliError;
  }
  throw new Error('expected the call to fail');
}

describe('interop: ali-oss operations beyond uploads against the local server', function () {
  this.timeout(60_000);

  let server: OssServer;
  const agents: Agent[] = [];

  function client(mode: Mode): OSS {
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
    };
    return new OSS(options);
  }

  before(async () => {
    server = await OssServer.start({ credentials: [CRED], buckets: [BUCKET, OTHER], region: 'cn-hangzhou' });
  });

  after(async () => {
    for (const agent of agents) agent.destroy();
    await server?.close();
  });

  for (const mode of MODES) {
    describe(mode.label, () => {
      let oss: OSS;
      const prefix = `${mode.authorizationV4 ? 'v4' : 'v1'}-${mode.addressing}/`;
      const k = (name: string): string => prefix + name;

      before(() => {
        oss = client(mode);
      });

      it('copy: bytes, ETag and metadata; with meta it replaces the metadata; across buckets', async () => {
        const body = randomBytes(150 * KIB + 3);
        await oss.put(k('src.bin'), body, {
          mime: 'application/x-src',
          meta: { owner: 'alice' } as unknown as OSS.UserMeta,
        });
        const copied = await oss.copy(k('copy.bin'), k('src.bin'));
        expect(copied.res.status).to.equal(200);
        expect(copied.data?.etag).to.equal(md5Etag(body));
        expect(copied.data?.lastModified).to.match(/\.000Z$/);
        const got = await oss.get(k('copy.bin'));
        expect((got.content as Buffer).equals(body)).to.equal(true);
        expect(headers(got)['content-type']).to.equal('application/x-src');
        expect((await oss.head(k('copy.bin'))).meta).to.deep.equal({ owner: 'alice' });
        await oss.copy(k('replaced.bin'), k('src.bin'), { meta: { owner: 'bob' } as unknown as OSS.UserMeta });
        expect((await oss.head(k('replaced.bin'))).meta).to.deep.equal({ owner: 'bob' });
        await oss.copy(k('from-other.bin'), k('copy.bin'), BUCKET, {});
        const other = client(mode);
        other.useBucket(OTHER);
        await other.copy(k('in-other.bin'), k('src.bin'), BUCKET, {});
        expect(((await other.get(k('in-other.bin'))).content as Buffer).equals(body)).to.equal(true);
      });

      it('rename (copy, then delete the source) keeps the bytes under the new name', async () => {
        const body = randomBytes(1000);
        await oss.put(k('before.txt'), body);
        await oss.copy(k('after.txt'), k('before.txt'));
        await oss.delete(k('before.txt'));
        expect(((await oss.get(k('after.txt'))).content as Buffer).equals(body)).to.equal(true);
        expect((await rejection(oss.head(k('before.txt')))).status).to.equal(404);
      });

      it('copy of a missing source is 404 NoSuchKey', async () => {
        const err = await rejection(oss.copy(k('nothing-copy.bin'), k('missing.bin')));
        expect({ status: err.status, code: err.code }).to.deep.equal({ status: 404, code: 'NoSuchKey' });
      });

      it('uploadPartCopy ranges of an object, then completeMultipartUpload assembles them', async () => {
        const body = randomBytes(300 * KIB + 11);
        await oss.put(k('part-src.bin'), body);
        const init = await oss.initMultipartUpload(k('part-copy.bin'));
        const cut = 100 * KIB;
        const source = { sourceKey: k('part-src.bin'), sourceBucketName: BUCKET };
        const p1 = await oss.uploadPartCopy(k('part-copy.bin'), init.uploadId, 1, `0-${cut - 1}`, source, {});
        const p2 = await oss.uploadPartCopy(
          k('part-copy.bin'),
          init.uploadId,
          2,
          `${cut}-${body.length - 1}`,
          source,
          {},
        );
        expect([p1.etag, p2.etag]).to.deep.equal([md5Etag(body.subarray(0, cut)), md5Etag(body.subarray(cut))]);
        const done = await oss.completeMultipartUpload(k('part-copy.bin'), init.uploadId, [
          { number: 1, etag: p1.etag },
          { number: 2, etag: p2.etag },
        ]);
        expect(done.res.status).to.equal(200);
        expect(((await oss.get(k('part-copy.bin'))).content as Buffer).equals(body)).to.equal(true);
      });

      it('deleteMulti: verbose lists the deleted keys, quiet lists none; both delete', async () => {
        const names = ['dm/a.txt', 'dm/b c.txt', 'dm/ü&<x>.txt'].map(k);
        for (const n of names) await oss.put(n, Buffer.from(n));
        const verbose = await oss.deleteMulti(names.slice(0, 2));
        expect(verbose.res.status).to.equal(200);
        expect([...(verbose.deleted as unknown as Array<{ Key: string }>)].map((d) => d.Key).sort()).to.deep.equal(
          names.slice(0, 2).sort(),
        );
        const quiet = await oss.deleteMulti(names.slice(2), { quiet: true });
        expect([quiet.res.status, quiet.deleted]).to.deep.equal([200, []]);
        for (const n of names) expect((await rejection(oss.head(n))).status, n).to.equal(404);
      });

      it('listV2 pages with continuation tokens, KeyCount, prefixes and fetch-owner', async () => {
        const names = ['lv/1', 'lv/2', 'lv/3', 'lv/dir/4', 'lv/dir/5'].map(k);
        for (const n of names) await oss.put(n, Buffer.from('x'));
        const seen: string[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const page = await oss.listV2({
            prefix: k('lv/'),
            'max-keys': '2',
            ...(token === undefined ? {} : { 'continuation-token': token }),
          } as OSS.ListV2ObjectsQuery);
          pages += 1;
          expect(page.keyCount).to.equal(page.objects.length);
          seen.push(...page.objects.map((o) => o.name));
          token = page.isTruncated ? page.nextContinuationToken : undefined;
        } while (token !== undefined);
        expect([pages, seen]).to.deep.equal([3, names]);
        const rolled = await oss.listV2({
          prefix: k('lv/'),
          delimiter: '/',
          'fetch-owner': true,
        } as unknown as OSS.ListV2ObjectsQuery);
        expect(rolled.objects.map((o) => o.name)).to.deep.equal(names.slice(0, 3));
        expect(rolled.prefixes).to.deep.equal([k('lv/dir/')]);
        expect(rolled.keyCount).to.equal(4);
        expect((rolled.objects[0] as unknown as { owner: { id: string } }).owner.id).to.equal('oss-stream-local');
      });

      it('putSymlink / getSymlink; get and head of the link follow it', async () => {
        const body = randomBytes(2000);
        await oss.put(k('sym/target 目标.bin'), body);
        await oss.putSymlink(k('sym/link'), k('sym/target 目标.bin'), {
          meta: { uid: '1' },
        } as unknown as OSS.PutSymlinkOptions);
        const link = await oss.getSymlink(k('sym/link'));
        expect([link.res.status, link.targetName]).to.deep.equal([200, k('sym/target 目标.bin')]);
        const head = await oss.head(k('sym/link'));
        expect([headers(head)['x-oss-object-type'], head.meta]).to.deep.equal(['Symlink', { uid: '1' }]);
        expect(((await oss.get(k('sym/link'))).content as Buffer).equals(body)).to.equal(true);
        const err = await rejection(oss.getSymlink(k('sym/target 目标.bin')));
        expect({ status: err.status, code: err.code }).to.deep.equal({ status: 400, code: 'NotSymlink' });
      });

      it('putObjectTagging / getObjectTagging, and x-oss-tagging on put', async () => {
        const tagged = oss as unknown as Untyped;
        await oss.put(k('tags.txt'), Buffer.from('t'), { headers: { 'x-oss-tagging': 'a=1&b=two%20words' } });
        expect((await tagged.getObjectTagging(k('tags.txt'))).tag).to.deep.equal({ a: '1', b: 'two words' });
        expect(headers(await oss.head(k('tags.txt')))['x-oss-tagging-count']).to.equal('2');
        const put = await tagged.putObjectTagging(k('tags.txt'), {
          project: 'oss-stream',
          'with space': 'a+b=c:d/e_f.g',
        });
        expect(put.status).to.equal(200);
        expect((await tagged.getObjectTagging(k('tags.txt'))).tag).to.deep.equal({
          project: 'oss-stream',
          'with space': 'a+b=c:d/e_f.g',
        });
        const ten = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, 'v']));
        await tagged.putObjectTagging(k('tags.txt'), ten);
        expect(Object.keys((await tagged.getObjectTagging(k('tags.txt'))).tag)).to.have.length(10);
      });

      it('PostObject with a policy signed by ali-oss itself (calculatePostSignature / signPostObjectPolicyV4)', async () => {
        const body = randomBytes(50 * KIB);
        const key = k('posted/${filename}');
        const now = new Date();
        const date = now
          .toISOString()
          .replace(/[-:]/g, '')
          .replace(/\.\d{3}/, '');
        const credential = `${CRED.accessKeyId}/${date.slice(0, 8)}/cn-hangzhou/oss/aliyun_v4_request`;
        const conditions: unknown[] = [
          { bucket: BUCKET },
          ['starts-with', '$key', k('posted/')],
          ['content-length-range', 1, 100 * KIB],
        ];
        // As the OSS documentation builds a V4 policy: the signature fields are conditions too.
        if (mode.authorizationV4) {
          conditions.push(
            { 'x-oss-signature-version': 'OSS4-HMAC-SHA256' },
            { 'x-oss-credential': credential },
            { 'x-oss-date': date },
          );
        }
        const policy = { expiration: new Date(Date.now() + 600_000).toISOString(), conditions };
        const form = new FormData();
        form.append('key', key);
        form.append('success_action_status', '201');
        if (mode.authorizationV4) {
          form.append('policy', Buffer.from(JSON.stringify(policy), 'utf8').toString('base64'));
          form.append('x-oss-signature-version', 'OSS4-HMAC-SHA256');
          form.append('x-oss-credential', credential);
          form.append('x-oss-date', date);
          form.append('x-oss-signature', (oss as unknown as Untyped).signPostObjectPolicyV4(policy, now));
        } else {
          const signed = oss.calculatePostSignature(policy);
          form.append('OSSAccessKeyId', signed.OSSAccessKeyId);
          form.append('policy', signed.policy);
          form.append('Signature', signed.Signature);
        }
        form.append('file', new Blob([body]), 'photo.bin');
        const res = await fetch(`${server.endpoint}/${BUCKET}/`, { method: 'POST', body: form });
        const text = await res.text();
        expect(res.status, text).to.equal(201);
        expect(text).to.contain(`<Key>${k('posted/photo.bin')}</Key>`);
        expect(((await oss.get(k('posted/photo.bin'))).content as Buffer).equals(body)).to.equal(true);
      });

      it('get with process (image processing) and putChannel (LiveChannel) get 501 NotImplemented, nothing stored', async () => {
        await oss.put(k('pic.jpg'), Buffer.from('not really a jpeg'));
        const processed = await rejection(oss.get(k('pic.jpg'), { process: 'image/resize,w_10' }));
        expect({ status: processed.status, code: processed.code }).to.deep.equal({
          status: 501,
          code: 'NotImplemented',
        });
        expect(processed.requestId).to.match(/^[0-9A-F]{24}$/);
        const channel = await rejection(
          oss.putChannel(k('channel'), {
            Description: 'x',
            Status: 'enabled',
            Target: { Type: 'HLS' },
          } as unknown as OSS.PutChannelConf),
        );
        expect({ status: channel.status, code: channel.code }).to.deep.equal({ status: 501, code: 'NotImplemented' });
        expect((await rejection(oss.head(k('channel')))).status).to.equal(404);
      });
    });
  }
});
