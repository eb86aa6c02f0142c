import { expect } from 'chai';
import {
  Auth,
  Bucket,
  OssArgumentError,
  OssServiceError,
  ProviderAuth,
  StsAuth,
  type CredentialsProvider,
} from 'oss-stream';
import { OssContext } from '../../lib/api/context.js';
import { rejection } from '../support/bytes.js';
import { BUCKET, CRED, download, STS, useLocalOss } from '../support/local-oss.js';

describe('api/context: the request path (addressing, signing)', () => {
  const oss = useLocalOss();

  const auths: Array<[string, () => CredentialsProvider]> = [
    ['Auth', () => new Auth(CRED.accessKeyId, CRED.accessKeySecret)],
    ['StsAuth', () => new StsAuth(STS.accessKeyId, STS.accessKeySecret, STS.securityToken)],
    [
      'ProviderAuth (STS from a provider)',
      () => new ProviderAuth(async () => ({ ...STS, expiration: new Date(Date.now() + 3_600_000) })),
    ],
  ];
  const keys = ['plain.txt', 'dir/a b+c%20d&e=f?g#h ünï 中文.txt', 'dots/./../x', '~tilde*(star)!'];

  for (const signatureVersion of ['v1', 'v4'] as const) {
    for (const [name, make] of auths) {
      it(`signature ${signatureVersion} with ${name}: put, head, get, multipart, list, delete of odd keys`, async () => {
        const b = oss.client({ signatureVersion, auth: make() });
        for (const key of keys) {
          const k = `${signatureVersion}/${name}/${key}`;
          await b.putObject(k, `body of ${key}`);
          expect((await b.headObject(k)).size).to.equal(Buffer.byteLength(`body of ${key}`));
          expect((await download(b, k)).toString()).to.equal(`body of ${key}`);
        }
        const k = `${signatureVersion}/${name}/multi part.bin`;
        const { uploadId } = await b.initMultipartUpload(k);
        const p = await b.uploadPart(k, uploadId, 1, 'only part');
        expect((await b.listParts(k, uploadId)).map((x) => x.partNumber)).to.deep.equal([1]);
        expect(
          (await b.listMultipartUploads({ prefix: `${signatureVersion}/${name}/` })).map((u) => u.key),
        ).to.deep.equal([k]);
        await b.completeMultipartUpload(k, uploadId, [p]);
        expect((await b.deleteObject(k)).status).to.equal(204);
        expect(oss.server.stats.total.errors).to.equal(0);
      });
    }
  }

  describe('refused credentials are typed service errors, never retried', () => {
    const cases: Array<[string, () => CredentialsProvider, 'v1' | 'v4', string, number]> = [
      ['a wrong secret (V4)', () => new Auth(CRED.accessKeyId, 'wrong'), 'v4', 'SignatureDoesNotMatch', 403],
      ['a wrong secret (V1)', () => new Auth(CRED.accessKeyId, 'wrong'), 'v1', 'SignatureDoesNotMatch', 403],
      ['an unknown key id', () => new Auth('nobody', 'x'), 'v4', 'InvalidAccessKeyId', 403],
      [
        'an STS key without its token',
        () => new Auth(STS.accessKeyId, STS.accessKeySecret),
        'v4',
        'InvalidAccessKeyId',
        403,
      ],
      [
        'an STS key with a wrong token',
        () => new StsAuth(STS.accessKeyId, STS.accessKeySecret, 'stale-token'),
        'v1',
        'InvalidSecurityToken',
        403,
      ],
    ];
    for (const [name, make, signatureVersion, code, status] of cases) {
      it(name, async () => {
        const e = await rejection(oss.client({ auth: make(), signatureVersion }).putObject('denied.txt', 'x'));
        expect(e).to.be.instanceOf(OssServiceError);
        expect([e.code, e.status]).to.deep.equal([code, status]);
        expect(e.requestId).to.match(/^[0-9A-F]{24}$/);
        expect(oss.server.stats.op('PutObject').requests).to.equal(1);
      });
    }

    it('a V4 region that differs from the server region', async () => {
      const e = await rejection(oss.client({ region: 'cn-beijing' }).headObject('x'));
      expect([e.constructor, e.status]).to.deep.equal([OssServiceError, 400]);
    });

    it('the secret never shows in an error or its message', async () => {
      const e = await rejection(
        oss.client({ auth: new Auth(CRED.accessKeyId, 'very-secret-value') }).putObject('x', 'y'),
      );
      expect(JSON.stringify({ ...e, message: e.message })).to.not.include('very-secret-value');
    });
  });

  describe('construction', () => {
    it('rejects a bad bucket name, endpoint, auth or option with an argument error', () => {
      const auth = new Auth('a', 'b');
      expect(() => new Bucket(auth, oss.server.endpoint, 'Bad_Bucket')).to.throw(
        OssArgumentError,
        /^bucket name "Bad_Bucket" is invalid/,
      );
      expect(() => new Bucket(auth, '', BUCKET)).to.throw(OssArgumentError, /^endpoint must be a non-empty string/);
      expect(() => new Bucket({} as CredentialsProvider, oss.server.endpoint, BUCKET)).to.throw(
        OssArgumentError,
        'credentials must be an Auth, StsAuth or ProviderAuth (anything with getCredentials())',
      );
      expect(() => new Bucket(auth, oss.server.endpoint, BUCKET, { signatureVersion: 'v2' as 'v4' })).to.throw(
        OssArgumentError,
        /signatureVersion/,
      );
      expect(() => new Bucket(auth, oss.server.endpoint, BUCKET, { retries: -1 })).to.throw(
        OssArgumentError,
        /^retries must be an integer/,
      );
    });

    it('an IP endpoint is path-style over http with the default region; name and options are resolved once', () => {
      const ctx = new OssContext(new Auth('a', 'b'), oss.server.endpoint, BUCKET, {
        signatureVersion: 'v1',
        timeoutMs: 1234,
      });
      expect([ctx.bucket, ctx.endpoint.pathStyle, ctx.endpoint.protocol, ctx.region]).to.deep.equal([
        BUCKET,
        true,
        'http',
        'cn-hangzhou',
      ]);
      expect([ctx.options.signatureVersion, ctx.options.connectTimeoutMs, ctx.options.headersTimeoutMs]).to.deep.equal([
        'v1',
        1234,
        1234,
      ]);
      expect(Object.isFrozen(ctx.options)).to.equal(true);
      const named = new OssContext(new Auth('a', 'b'), 'oss-cn-shanghai.aliyuncs.com', 'some-bucket');
      expect([named.region, named.endpoint.protocol, named.endpoint.pathStyle]).to.deep.equal([
        'cn-shanghai',
        'https',
        false,
      ]);
      return Promise.all([ctx.close(), named.close()]);
    });
  });
});
