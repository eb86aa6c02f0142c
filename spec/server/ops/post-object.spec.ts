// PostObject over the wire: a multipart/form-data body built here, V1 and V4 policy signatures computed here with
// node:crypto (independently of the server's code), the policy conditions, and the three success answers.
import { createHmac } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import type { OssServer } from '../../../lib/server/index.js';
import { md5Etag, oracleCrc, pattern } from '../../support/bytes.js';
import { startAnonymousServer } from '../../support/local-oss.js';
import { call, errorCode, xmlField } from '../../support/raw-http.js';

const CRED = { accessKeyId: 'post-ak', accessKeySecret: 'post-sk' };
const BOUNDARY = '----oss-stream-form-7MA4YWxkTrZu0gW';

type Field = [string, string];

/** A form body: fields, then the file part, then `after` (fields OSS ignores). */
function form(
  fields: readonly Field[],
  file: Buffer | undefined,
  filename = 'local.bin',
  after: readonly Field[] = [],
): Buffer {
  const parts: Buffer[] = [];
  const field = ([name, value]: Field): void => {
    parts.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  };
  fields.forEach(field);
  if (file !== undefined) {
    parts.push(
      Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/x-file-part\r\n\r\n`,
      ),
    );
    parts.push(file, Buffer.from('\r\n'));
  }
  after.forEach(field);
  parts.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(parts);
}

function policyOf(conditions: unknown[], expiresInMs = 3_600_000): string {
  return Buffer.from(
    JSON.stringify({ expiration: new Date(Date.now() + expiresInMs).toISOString(), conditions }),
  ).toString('base64');
}

function signV1(policy: string, secret = CRED.accessKeySecret): Field[] {
  return [
    ['OSSAccessKeyId', CRED.accessKeyId],
    ['policy', policy],
    ['Signature', createHmac('sha1', secret).update(policy).digest('base64')],
  ];
}

function isoBasic(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function signV4(policy: string, now = new Date(), region = 'cn-hangzhou'): Field[] {
  const date = isoBasic(now);
  const day = date.slice(0, 8);
  const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();
  const key = hmac(hmac(hmac(hmac(`aliyun_v4${CRED.accessKeySecret}`, day), region), 'oss'), 'aliyun_v4_request');
  return [
    ['x-oss-signature-version', 'OSS4-HMAC-SHA256'],
    ['x-oss-credential', `${CRED.accessKeyId}/${day}/${region}/oss/aliyun_v4_request`],
    ['x-oss-date', date],
    ['policy', policy],
    ['x-oss-signature', createHmac('sha256', key).update(policy).digest('hex')],
  ];
}

describe('server PostObject', () => {
  let server: OssServer;
  before(async () => {
    server = await startAnonymousServer({ anonymous: false, credentials: [CRED] });
  });
  after(() => server.close());

  const post = (body: Buffer | Readable, headers: Record<string, string> = {}) =>
    call(server, 'POST', '/bkt/', {
      body,
      headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, ...headers },
    });

  it("V1: stores the file under the key (${filename} substituted) with the form's metadata; 201 answers PostResponse", async () => {
    const file = pattern(70_000);
    const policy = policyOf([
      { bucket: 'bkt' },
      ['starts-with', '$key', 'uploads/'],
      ['content-length-range', 1, 100_000],
    ]);
    const a = await post(
      form(
        [
          ['key', 'uploads/${filename}'],
          ['Content-Type', 'image/png'],
          ['x-oss-meta-from', 'browser'],
          ['success_action_status', '201'],
          ...signV1(policy),
        ],
        file,
        'photo.png',
      ),
    );
    expect(a.status, a.text).to.equal(201);
    expect(a.text).to.equal(
      '<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse><Bucket>bkt</Bucket>' +
        `<Location>${server.endpoint}/bkt/uploads/photo.png</Location><Key>uploads/photo.png</Key><ETag>&quot;${md5Etag(file).slice(1, -1)}&quot;</ETag></PostResponse>`,
    );
    expect([a.headers['etag'], a.headers['x-oss-hash-crc64ecma']]).to.deep.equal([md5Etag(file), oracleCrc(file)]);
    const got = await call(server, 'GET', '/bkt/uploads/photo.png', { headers: signedGetHeaders() });
    expect(got.status).to.equal(200);
    expect(got.body.equals(file)).to.equal(true);
    expect([got.headers['content-type'], got.headers['x-oss-meta-from']]).to.deep.equal(['image/png', 'browser']);
  });

  it("V4: the signature over the policy with the scope's key; 204 by default, 200 when asked", async () => {
    const file = Buffer.from('v4 form upload');
    const policy = policyOf([['eq', '$key', 'v4.txt']]);
    const a = await post(form([['key', 'v4.txt'], ...signV4(policy)], file));
    expect([a.status, a.body.length, a.headers['etag']]).to.deep.equal([204, 0, md5Etag(file)]);
    expect((await call(server, 'GET', '/bkt/v4.txt', { headers: signedGetHeaders('GET', 'v4.txt') })).text).to.equal(
      'v4 form upload',
    );
    const b = await post(
      form([['key', 'v4-200.txt'], ['success_action_status', '200'], ...signV4(policyOf([]))], file),
    );
    expect([b.status, b.body.length]).to.deep.equal([200, 0]);
    const c = await post(
      form(
        [['key', 'v4-303.txt'], ['success_action_redirect', 'http://app.example/done?x=1'], ...signV4(policyOf([]))],
        file,
      ),
    );
    expect([c.status, c.headers['location']]).to.deep.equal([
      303,
      `http://app.example/done?x=1&bucket=bkt&key=v4-303.txt&etag=${encodeURIComponent(md5Etag(file))}`,
    ]);
    const wrongRegion = await post(
      form([['key', 'v4-region.txt'], ...signV4(policyOf([]), new Date(), 'cn-beijing')], file),
    );
    expect([wrongRegion.status, errorCode(wrongRegion)]).to.deep.equal([400, 'InvalidArgument']);
  });

  it('refuses a bad signature, an unknown key id and an unsigned form, storing nothing', async () => {
    const policy = policyOf([]);
    const cases: Array<[Field[], number, string]> = [
      [signV1(policy, 'wrong-secret'), 403, 'SignatureDoesNotMatch'],
      [signV1(policy).map(([n, v]) => [n, n === 'OSSAccessKeyId' ? 'nobody' : v] as Field), 403, 'InvalidAccessKeyId'],
      [
        signV4(policy).map(([n, v]) => [n, n === 'x-oss-signature' ? '0'.repeat(64) : v] as Field),
        403,
        'SignatureDoesNotMatch',
      ],
      [[['policy', policy]], 403, 'AccessDenied'],
      [[], 403, 'AccessDenied'],
      [signV1(policy).filter(([n]) => n !== 'policy'), 400, 'InvalidArgument'],
    ];
    for (const [fields, status, code] of cases) {
      const a = await post(form([['key', 'denied.txt'], ...fields], Buffer.from('no')));
      expect([fields.map((f) => f[0]).join(','), a.status, errorCode(a)]).to.deep.equal([
        fields.map((f) => f[0]).join(','),
        status,
        code,
      ]);
      expect(xmlField(a.text, 'RequestId')).to.equal(a.headers['x-oss-request-id']);
    }
    expect(
      (await call(server, 'HEAD', '/bkt/denied.txt', { headers: signedGetHeaders('HEAD', 'denied.txt') })).status,
    ).to.equal(404);
  });

  it('checks the policy: expiration, bucket, key, other fields, content-length-range', async () => {
    const file = Buffer.from('0123456789');
    const cases: Array<[string, unknown[], number, string, string | undefined]> = [
      ['expired', [], 403, 'AccessDenied', 'Invalid according to Policy: Policy expired.'],
      [
        'bucket',
        [{ bucket: 'other' }],
        403,
        'AccessDenied',
        'Invalid according to Policy: Policy Condition failed: {"bucket":"other"}',
      ],
      [
        'key prefix',
        [['starts-with', '$key', 'user/eric/']],
        403,
        'AccessDenied',
        'Invalid according to Policy: Policy Condition failed: ["starts-with","$key","user/eric/"]',
      ],
      ['key eq', [['eq', '$key', 'other.txt']], 403, 'AccessDenied', undefined],
      ['content-type in', [['in', '$content-type', ['image/jpeg']]], 403, 'AccessDenied', undefined],
      ['too large', [['content-length-range', 0, 9]], 400, 'EntityTooLarge', undefined],
      ['too small', [['content-length-range', 11, 100]], 400, 'EntityTooSmall', undefined],
      ['bad condition', [['matches', '$key', '.*']], 400, 'InvalidPolicyDocument', undefined],
    ];
    for (const [label, conditions, status, code, message] of cases) {
      const policy = policyOf(conditions, label === 'expired' ? -1000 : 3_600_000);
      const a = await post(form([['key', 'policy.txt'], ['content-type', 'text/plain'], ...signV1(policy)], file));
      expect([label, a.status, errorCode(a)]).to.deep.equal([label, status, code]);
      if (message !== undefined) expect(xmlField(a.text, 'Message')!.replace(/&quot;/g, '"')).to.equal(message);
    }
    expect(
      (await call(server, 'HEAD', '/bkt/policy.txt', { headers: signedGetHeaders('HEAD', 'policy.txt') })).status,
    ).to.equal(404);
    const fits = await post(
      form(
        [
          ['key', 'policy.txt'],
          ...signV1(
            policyOf([
              ['content-length-range', 10, 10],
              ['not-in', '$content-type', ['text/html']],
            ]),
          ),
        ],
        file,
      ),
    );
    expect(fits.status).to.equal(204);
  });

  it('streams a large file whose boundary arrives split across chunks; fields after the file are ignored', async () => {
    const file = pattern(3 * 1024 * 1024 + 5, 1);
    const body = form([['key', 'big.bin'], ...signV1(policyOf([]))], file, 'big.bin', [['x-oss-meta-late', 'ignored']]);
    const chunks: Buffer[] = [];
    for (let off = 0, i = 0; off < body.length; i++) {
      const n = [1, 3, 17, 4093, 65_537][i % 5]!;
      chunks.push(body.subarray(off, off + n));
      off += n;
    }
    const a = await post(Readable.from(chunks));
    expect([a.status, a.headers['x-oss-hash-crc64ecma']]).to.deep.equal([204, oracleCrc(file)]);
    const got = await call(server, 'GET', '/bkt/big.bin', { headers: signedGetHeaders('GET', 'big.bin') });
    expect(got.body.equals(file)).to.equal(true);
    expect(got.headers['x-oss-meta-late']).to.equal(undefined);
  });

  it('a file refused while it arrives (content-length-range, overwrite) leaves no staged bytes behind', async () => {
    const big = pattern(512 * 1024, 2);
    const tooLarge = await post(
      form([['key', 'refused.bin'], ...signV1(policyOf([['content-length-range', 0, 1000]]))], big),
    );
    expect([tooLarge.status, errorCode(tooLarge)]).to.deep.equal([400, 'EntityTooLarge']);
    await post(form([['key', 'kept.bin'], ...signV1(policyOf([]))], Buffer.from('first')));
    const taken = await post(
      form([['key', 'kept.bin'], ['x-oss-forbid-overwrite', 'true'], ...signV1(policyOf([]))], Buffer.from('second')),
    );
    expect([taken.status, errorCode(taken)]).to.deep.equal([409, 'FileAlreadyExists']);
    expect(await readdir(join(server.root, 'tmp'))).to.deep.equal([]);
    const kept = await call(server, 'GET', '/bkt/kept.bin', { headers: signedGetHeaders('GET', 'kept.bin') });
    expect(kept.text).to.equal('first');
  });

  it('400 MalformedPOSTRequest for a form without a file or boundary; 400 InvalidArgument without a key', async () => {
    const policy = policyOf([]);
    const noFile = await post(form([['key', 'x.txt'], ...signV1(policy)], undefined));
    expect([noFile.status, errorCode(noFile)]).to.deep.equal([400, 'MalformedPOSTRequest']);
    const truncated = await post(form([['key', 'x.txt'], ...signV1(policy)], Buffer.from('abc')).subarray(0, -40));
    expect([truncated.status, errorCode(truncated)]).to.deep.equal([400, 'MalformedPOSTRequest']);
    const noBoundary = await post(form([['key', 'x.txt']], Buffer.from('abc')), {
      'content-type': 'multipart/form-data',
    });
    expect([noBoundary.status, errorCode(noBoundary)]).to.deep.equal([400, 'MalformedPOSTRequest']);
    const noKey = await post(form(signV1(policy), Buffer.from('abc')));
    expect([noKey.status, errorCode(noKey), xmlField(noKey.text, 'ArgumentName')]).to.deep.equal([
      400,
      'InvalidArgument',
      'key',
    ]);
  });
});

/** Headers of a V1-signed GET/HEAD of `key` in bucket `bkt` (so the spec can read back what it posted). */
function signedGetHeaders(method = 'GET', key = 'uploads/photo.png'): Record<string, string> {
  const date = new Date().toUTCString();
  const sig = createHmac('sha1', CRED.accessKeySecret).update(`${method}\n\n\n${date}\n/bkt/${key}`).digest('base64');
  return { date, authorization: `OSS ${CRED.accessKeyId}:${sig}` };
}
