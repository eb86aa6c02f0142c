import { expect } from 'chai';
import { UsageError } from '../../lib/cli/args.js';
import { parseTarget } from '../../lib/cli/target.js';

describe('cli/target', () => {
  it('splits oss://bucket/key, keeping every later slash in the key', () => {
    expect(parseTarget('oss://my-bucket/a/b/c.txt', undefined)).to.deep.equal({
      bucket: 'my-bucket',
      key: 'a/b/c.txt',
    });
    expect(parseTarget('oss://my-bucket/a//b', 'x')).to.deep.equal({ bucket: 'my-bucket', key: 'a//b' });
  });

  it('completes a folder-like key with the file name, as cp does', () => {
    expect(parseTarget('oss://my-bucket/logs/', '/var/log/app.log')).to.deep.equal({
      bucket: 'my-bucket',
      key: 'logs/app.log',
    });
    expect(parseTarget('oss://my-bucket', 'backup.tar')).to.deep.equal({ bucket: 'my-bucket', key: 'backup.tar' });
    expect(parseTarget('oss://my-bucket/', 'dir/backup.tar')).to.deep.equal({ bucket: 'my-bucket', key: 'backup.tar' });
    expect(() => parseTarget('oss://my-bucket/logs/', undefined)).to.throw(
      UsageError,
      'name the object to write stdin to: oss://my-bucket/logs/<name>',
    );
  });

  it('refuses what is not oss://bucket/key', () => {
    expect(() => parseTarget('s3://b/k', undefined)).to.throw(
      UsageError,
      'the destination must be oss://bucket/key, got "s3://b/k"',
    );
    expect(() => parseTarget('my-bucket/k', undefined)).to.throw(UsageError, /must be oss:\/\/bucket\/key/);
    expect(() => parseTarget('oss://My_Bucket/k', undefined)).to.throw(
      UsageError,
      /bucket name "My_Bucket" is invalid/,
    );
    expect(() => parseTarget('oss://ab/k', undefined)).to.throw(UsageError, /bucket name "ab" is invalid/);
  });
});
