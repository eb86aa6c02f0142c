import { expect } from 'chai';
import { OssArgumentError } from 'oss-stream';
import { rejection } from '../support/bytes.js';
import { useLocalOss } from '../support/local-oss.js';

describe('api/delete-object', () => {
  const oss = useLocalOss();

  it('deletes an object (204); deleting a missing key succeeds too, as on OSS', async () => {
    await oss.bucket.putObject('gone.txt', 'x');
    const r = await oss.bucket.deleteObject('gone.txt');
    expect(r.status).to.equal(204);
    expect(r.requestId).to.match(/^[0-9A-F]{24}$/);
    expect((await rejection(oss.bucket.headObject('gone.txt'))).code).to.equal('NoSuchKey');
    expect((await oss.bucket.deleteObject('never-was.txt')).status).to.equal(204);
  });

  it('a bad key is an argument error, nothing sent', async () => {
    expect(await rejection(oss.bucket.deleteObject('/x'))).to.be.instanceOf(OssArgumentError);
    expect(oss.server.stats.total.requests).to.equal(0);
  });
});
