/**
 * Header values with raw UTF-8 bytes (`x-oss-meta-name: 中文`), sent over a raw socket so the bytes on the wire are
 * exactly the UTF-8 the request was signed over (V1 and V4). ali-oss cannot send such a value (Node's HTTP client
 * refuses characters above U+00FF in headers); oss2 and curl can.
 */
import { connect } from 'node:net';
import { expect } from 'chai';
import { signRequestV1, type SignableRequest } from '../../lib/core/sign-v1.js';
import { signRequestV4 } from '../../lib/core/sign-v4.js';
import type { OssServer } from '../../lib/server/index.js';
import { startAnonymousServer } from '../support/local-oss.js';

const CRED = { accessKeyId: 'utf8-ak', accessKeySecret: 'utf8-sk' };
const VALUE = '中文 ünïcode ✓';

/** Sends one request whose header lines are written as UTF-8 bytes; resolves with the raw answer bytes. */
function send(server: OssServer, req: SignableRequest, body: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = connect(server.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', reject);
    sock.on('close', () => resolve(Buffer.concat(chunks)));
    const lines = [
      `${req.method} /${req.bucket}/${req.key} HTTP/1.1`,
      'Host: 127.0.0.1',
      'Connection: close',
      `Content-Length: ${body.length}`,
    ];
    for (const [k, v] of Object.entries(req.headers)) lines.push(`${k}: ${v}`);
    sock.write(Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'utf8'));
  });
}

/** The raw bytes of header `name` in an answer. */
function headerBytes(answer: Buffer, name: string): Buffer | undefined {
  const head = answer.subarray(0, answer.indexOf('\r\n\r\n'));
  for (const line of head.toString('latin1').split('\r\n')) {
    if (line.toLowerCase().startsWith(`${name}: `)) return Buffer.from(line.slice(name.length + 2), 'latin1');
  }
  return undefined;
}

describe('server UTF-8 header values', () => {
  let server: OssServer;
  before(async () => {
    server = await startAnonymousServer({ anonymous: false, credentials: [CRED], region: 'cn-hangzhou' });
  });
  after(() => server.close());

  for (const version of ['V1', 'V4'] as const) {
    it(`verifies a ${version} signature over the bytes as sent and returns the same bytes`, async () => {
      const key = `utf8-${version}.txt`;
      const put: SignableRequest = {
        method: 'PUT',
        bucket: 'bkt',
        key,
        query: {},
        headers: { 'x-oss-meta-name': VALUE },
      };
      if (version === 'V1') signRequestV1(put, CRED, new Date());
      else signRequestV4(put, CRED, new Date(), { region: 'cn-hangzhou' });
      const stored = await send(server, put, 'abc');
      expect(stored.toString('latin1').split('\r\n')[0], stored.toString('utf8')).to.equal('HTTP/1.1 200 OK');
      const head: SignableRequest = { method: 'HEAD', bucket: 'bkt', key, query: {}, headers: {} };
      if (version === 'V1') signRequestV1(head, CRED, new Date());
      else signRequestV4(head, CRED, new Date(), { region: 'cn-hangzhou' });
      const answer = await send(server, head, '');
      expect(answer.toString('latin1').split('\r\n')[0]).to.equal('HTTP/1.1 200 OK');
      expect(headerBytes(answer, 'x-oss-meta-name')?.equals(Buffer.from(VALUE, 'utf8'))).to.equal(true);
    });
  }

  it('still refuses a UTF-8 value signed as something else', async () => {
    const put: SignableRequest = {
      method: 'PUT',
      bucket: 'bkt',
      key: 'forged.txt',
      query: {},
      headers: { 'x-oss-meta-name': 'other' },
    };
    signRequestV1(put, CRED, new Date());
    put.headers['x-oss-meta-name'] = VALUE;
    const answer = await send(server, put, 'abc');
    expect(answer.toString('utf8')).to.match(/^HTTP\/1\.1 403 [^]*<Code>SignatureDoesNotMatch<\/Code>/);
  });
});
