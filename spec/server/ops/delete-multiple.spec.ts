// DeleteMultipleObjects over the wire: verbose and quiet answers, Content-MD5 required and checked, encoding-type.
import { expect } from 'chai';
import type { OssServer } from '../../../lib/server/index.js';
import { md5b64 } from '../../support/bytes.js';
import { startAnonymousServer } from '../../support/local-oss.js';
import { call, errorCode, xmlField, xmlFields } from '../../support/raw-http.js';

function deleteBody(keys: readonly string[], quiet?: boolean): string {
  const q = quiet === undefined ? '' : `<Quiet>${String(quiet)}</Quiet>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Delete>${q}${keys.map((k) => `<Object><Key>${k}</Key></Object>`).join('')}</Delete>`;
}

describe('server DeleteMultipleObjects', () => {
  let server: OssServer;
  before(async () => {
    server = await startAnonymousServer();
  });
  after(() => server.close());

  async function put(...keys: string[]): Promise<void> {
    for (const k of keys) await call(server, 'PUT', `/bkt/${encodeURIComponent(k)}`, { body: k });
  }
  const post = (body: string, query = '', headers: Record<string, string> = { 'content-md5': md5b64(body) }) =>
    call(server, 'POST', `/bkt/?delete${query}`, { body, headers });

  it('verbose: deletes the keys and lists each in <Deleted>, missing keys included', async () => {
    await put('a.txt', 'dir/b.txt', 'kept.txt');
    const a = await post(deleteBody(['a.txt', 'dir/b.txt', 'never-existed.txt'], false));
    expect(a.status).to.equal(200);
    expect(a.headers['content-type']).to.equal('application/xml');
    expect(a.text).to.equal(
      '<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult>' +
        '<Deleted><Key>a.txt</Key></Deleted><Deleted><Key>dir/b.txt</Key></Deleted><Deleted><Key>never-existed.txt</Key></Deleted>' +
        '</DeleteResult>',
    );
    for (const [k, status] of [
      ['a.txt', 404],
      ['dir/b.txt', 404],
      ['kept.txt', 200],
    ] as const) {
      expect([k, (await call(server, 'HEAD', `/bkt/${k}`)).status]).to.deep.equal([k, status]);
    }
  });

  it('quiet: deletes and answers 200 with an empty body', async () => {
    await put('q1', 'q2');
    const a = await post(deleteBody(['q1', 'q2'], true));
    expect([a.status, a.headers['content-length'], a.text]).to.deep.equal([200, '0', '']);
    expect((await call(server, 'HEAD', '/bkt/q1')).status).to.equal(404);
    expect((await call(server, 'HEAD', '/bkt/q2')).status).to.equal(404);
  });

  it('encoding-type=url encodes the keys of the answer; XML-escaped keys are read verbatim', async () => {
    const odd = 'odd & <key> ü+%.txt';
    await put(odd);
    const escaped = odd.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const a = await post(deleteBody([escaped]), '&encoding-type=url');
    expect(xmlField(a.text, 'EncodingType')).to.equal('url');
    expect(xmlFields(a.text, 'Key')).to.deep.equal([encodeURIComponent(odd)]);
    expect((await call(server, 'HEAD', `/bkt/${encodeURIComponent(odd)}`)).status).to.equal(404);
  });

  it('requires Content-MD5 (400 MissingArgument) and checks it (400 InvalidDigest); nothing is deleted', async () => {
    await put('safe.txt');
    const body = deleteBody(['safe.txt']);
    const missing = await post(body, '', {});
    expect([missing.status, errorCode(missing), xmlField(missing.text, 'Message')]).to.deep.equal([
      400,
      'MissingArgument',
      'Missing Some Required Arguments.',
    ]);
    const wrong = await post(body, '', { 'content-md5': md5b64('something else') });
    expect([wrong.status, errorCode(wrong)]).to.deep.equal([400, 'InvalidDigest']);
    expect((await call(server, 'HEAD', '/bkt/safe.txt')).status).to.equal(200);
  });

  it('refuses malformed bodies and more than 1000 keys with 400 MalformedXML; invalid keys with InvalidObjectName', async () => {
    await put('safe2.txt');
    const bodies: Array<[string, string]> = [
      ['<Delete><Object><Key>safe2.txt</Key></Object>', 'MalformedXML'],
      ['<Remove><Object><Key>safe2.txt</Key></Object></Remove>', 'MalformedXML'],
      ['<Delete><Object><Name>safe2.txt</Name></Object></Delete>', 'MalformedXML'],
      ['<Delete><Quiet>maybe</Quiet><Object><Key>safe2.txt</Key></Object></Delete>', 'MalformedXML'],
      [deleteBody(Array.from({ length: 1001 }, (_, i) => `k${i}`)), 'MalformedXML'],
      [deleteBody(['safe2.txt', '/leading-slash']), 'InvalidObjectName'],
    ];
    for (const [body, code] of bodies) {
      const a = await post(body);
      expect([body.slice(0, 60), a.status, errorCode(a)]).to.deep.equal([body.slice(0, 60), 400, code]);
    }
    expect((await call(server, 'HEAD', '/bkt/safe2.txt')).status).to.equal(200);
  });
});
