import { expect } from 'chai';
import type { OssServer } from '../../../lib/server/index.js';
import { md5b64, oracleCrc, pattern } from '../../support/bytes.js';
import { startAnonymousServer } from '../../support/local-oss.js';
import { call, chunkedBody, errorCode } from '../../support/raw-http.js';

describe('server AppendObject', () => {
  let server: OssServer;
  before(async () => {
    server = await startAnonymousServer({ limits: { maxPutSize: 64 * 1024 } });
  });
  after(() => server.close());

  it('creates an appendable object at position 0 and grows it, with the whole-object CRC each time', async () => {
    const a = pattern(1000, 1);
    const b = pattern(2000, 2);
    const first = await call(server, 'POST', '/bkt/log?append&position=0', {
      body: a,
      headers: { 'content-type': 'text/plain', 'x-oss-meta-k': 'v' },
    });
    expect(first.status).to.equal(200);
    expect(first.headers['x-oss-next-append-position']).to.equal('1000');
    expect(first.headers['x-oss-hash-crc64ecma']).to.equal(oracleCrc(a));
    const second = await call(server, 'POST', '/bkt/log?append&position=1000', {
      body: chunkedBody(b),
      headers: { 'content-type': 'image/png' },
    });
    expect(second.status).to.equal(200);
    expect(second.headers['x-oss-next-append-position']).to.equal('3000');
    const whole = Buffer.concat([a, b]);
    expect(second.headers['x-oss-hash-crc64ecma']).to.equal(oracleCrc(whole));
    expect(second.headers['etag']).to.match(/^"[0-9A-F]{32}"$/);
    expect(second.headers['etag']).to.not.equal(first.headers['etag']);
    const get = await call(server, 'GET', '/bkt/log');
    expect(get.body.equals(whole)).to.equal(true);
    expect(get.headers['x-oss-object-type']).to.equal('Appendable');
    expect(get.headers['x-oss-next-append-position']).to.equal('3000');
    // metadata comes from the first append
    expect(get.headers['content-type']).to.equal('text/plain');
    expect(get.headers['x-oss-meta-k']).to.equal('v');
  });

  it('applies and validates creation headers only on the append that creates the object', async () => {
    const first = await call(server, 'POST', '/bkt/headers.log?append&position=0', {
      body: 'a',
      headers: {
        'content-type': 'text/x-log',
        'x-oss-meta-who': 'first',
        'x-oss-tagging': 'k=1',
        'x-oss-object-acl': 'private',
      },
    });
    expect(first.status).to.equal(200);
    const elevenTags = Array.from({ length: 11 }, (_, i) => `t${i}=${i}`).join('&');
    const later = await call(server, 'POST', '/bkt/headers.log?append&position=1', {
      body: 'b',
      headers: {
        'content-type': 'text/other',
        'x-oss-meta-who': 'later',
        'x-oss-tagging': elevenTags,
        'x-oss-object-acl': 'no-such-acl',
        'x-oss-storage-class': 'NoSuchClass',
      },
    });
    expect([later.status, later.headers['x-oss-next-append-position']]).to.deep.equal([200, '2']);
    const head = await call(server, 'HEAD', '/bkt/headers.log');
    expect([
      head.headers['content-type'],
      head.headers['x-oss-meta-who'],
      head.headers['x-oss-tagging-count'],
    ]).to.deep.equal(['text/x-log', 'first', '1']);
    expect(head.headers['x-oss-storage-class']).to.equal('Standard');
    // The same headers do count on the append that creates an object.
    const creating = await call(server, 'POST', '/bkt/headers2.log?append&position=0', {
      body: 'a',
      headers: { 'x-oss-tagging': elevenTags },
    });
    expect([creating.status, errorCode(creating)]).to.deep.equal([400, 'BadRequest']);
  });

  it('answers 409 PositionNotEqualToLength with x-oss-next-append-position, leaving the object unchanged', async () => {
    await call(server, 'POST', '/bkt/pos?append&position=0', { body: 'abc' });
    const wrong = await call(server, 'POST', '/bkt/pos?append&position=2', { body: 'zz' });
    expect([wrong.status, errorCode(wrong)]).to.deep.equal([409, 'PositionNotEqualToLength']);
    expect(wrong.headers['x-oss-next-append-position']).to.equal('3');
    expect(wrong.headers['x-oss-ec']).to.equal('0026-00000016');
    const missing = await call(server, 'POST', '/bkt/none?append&position=5', { body: 'zz' });
    expect([missing.status, errorCode(missing), missing.headers['x-oss-next-append-position']]).to.deep.equal([
      409,
      'PositionNotEqualToLength',
      '0',
    ]);
    expect((await call(server, 'GET', '/bkt/pos')).text).to.equal('abc');
  });

  it('answers 409 ObjectNotAppendable on a Normal object', async () => {
    await call(server, 'PUT', '/bkt/normal', { body: 'abc' });
    const a = await call(server, 'POST', '/bkt/normal?append&position=3', { body: 'd' });
    expect([a.status, errorCode(a), a.headers['x-oss-ec']]).to.deep.equal([
      409,
      'ObjectNotAppendable',
      '0026-00000017',
    ]);
    const a0 = await call(server, 'POST', '/bkt/normal?append&position=0', { body: 'd' });
    expect([a0.status, errorCode(a0)]).to.deep.equal([409, 'ObjectNotAppendable']);
  });

  it('rejects a missing or bad position with 400 InvalidArgument', async () => {
    const a = await call(server, 'POST', '/bkt/p2?append', { body: 'd' });
    expect([a.status, errorCode(a)]).to.deep.equal([400, 'InvalidArgument']);
    const b = await call(server, 'POST', '/bkt/p2?append&position=-1', { body: 'd' });
    expect([b.status, errorCode(b)]).to.deep.equal([400, 'InvalidArgument']);
  });

  it('checks Content-MD5 and keeps the object as it was after a failed append', async () => {
    await call(server, 'POST', '/bkt/md5?append&position=0', { body: 'abc' });
    const bad = await call(server, 'POST', '/bkt/md5?append&position=3', {
      body: 'def',
      headers: { 'content-md5': md5b64('xyz') },
    });
    expect([bad.status, errorCode(bad)]).to.deep.equal([400, 'InvalidDigest']);
    const head = await call(server, 'HEAD', '/bkt/md5');
    expect([head.headers['content-length'], head.headers['x-oss-next-append-position']]).to.deep.equal(['3', '3']);
    const ok = await call(server, 'POST', '/bkt/md5?append&position=3', { body: 'XY' });
    expect(ok.headers['x-oss-next-append-position']).to.equal('5');
    expect((await call(server, 'GET', '/bkt/md5')).text).to.equal('abcXY');
  });

  it('answers 400 EntityTooLarge when the object would exceed maxPutSize', async () => {
    await call(server, 'POST', '/bkt/big?append&position=0', { body: Buffer.alloc(60 * 1024) });
    const over = await call(server, 'POST', `/bkt/big?append&position=${60 * 1024}`, { body: Buffer.alloc(5 * 1024) });
    expect([over.status, errorCode(over)]).to.deep.equal([400, 'EntityTooLarge']);
    expect((await call(server, 'HEAD', '/bkt/big')).headers['content-length']).to.equal(String(60 * 1024));
  });

  it('answers 409 FileAlreadyExists for x-oss-forbid-overwrite on an existing object', async () => {
    await call(server, 'POST', '/bkt/fo?append&position=0', { body: '' });
    const a = await call(server, 'POST', '/bkt/fo?append&position=0', {
      body: 'x',
      headers: { 'x-oss-forbid-overwrite': 'true' },
    });
    expect([a.status, errorCode(a)]).to.deep.equal([409, 'FileAlreadyExists']);
  });

  it('serializes parallel appends: exactly one per position wins, the rest get 409 with the new length', async () => {
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        call(server, 'POST', '/bkt/par?append&position=0', { body: Buffer.alloc(100, 97 + i) }),
      ),
    );
    expect(answers.filter((a) => a.status === 200)).to.have.length(1);
    const losers = answers.filter((a) => a.status !== 200);
    expect(losers.map((a) => [a.status, errorCode(a), a.headers['x-oss-next-append-position']])).to.deep.equal(
      losers.map(() => [409, 'PositionNotEqualToLength', '100']),
    );
    // a chain of appends, each sent at the position the previous one reported, from concurrent writers
    let pos = 100;
    const parts: Buffer[] = [(await call(server, 'GET', '/bkt/par')).body];
    for (let round = 0; round < 5; round++) {
      const bodies = [pattern(300, round), pattern(300, round + 50)];
      const rs = await Promise.all(
        bodies.map((b) => call(server, 'POST', `/bkt/par?append&position=${pos}`, { body: b })),
      );
      const winner = rs.findIndex((r) => r.status === 200);
      expect(winner).to.be.greaterThan(-1);
      parts.push(bodies[winner]!);
      pos += 300;
      expect(rs[winner]!.headers['x-oss-next-append-position']).to.equal(String(pos));
    }
    const final = (await call(server, 'GET', '/bkt/par')).body;
    expect(final.equals(Buffer.concat(parts))).to.equal(true);
    expect((await call(server, 'HEAD', '/bkt/par')).headers['x-oss-hash-crc64ecma']).to.equal(oracleCrc(final));
  });
});
