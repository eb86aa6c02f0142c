import { expect } from 'chai';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { OssError, ResumableStore, type CheckpointRecord } from 'oss-stream';

const rec = (over: Partial<CheckpointRecord> = {}): CheckpointRecord => ({
  uploadId: 'U1',
  bucket: 'bkt',
  key: 'a/b.bin',
  path: '/data/b.bin',
  size: 300_000,
  mtimeMs: 1.5,
  partSize: 102_400,
  parts: [{ partNumber: 2, etag: '"E2"', crc64: '42', size: 102_400 }],
  ...over,
});

describe('uploads/ResumableStore', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'oss-stream-store-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('defaults to ~/.oss-stream-upload; dir may be relative to root or absolute', () => {
    expect(new ResumableStore().directory).to.equal(join(homedir(), '.oss-stream-upload'));
    expect(new ResumableStore({ root: '/r' }).directory).to.equal(resolve('/r/.oss-stream-upload'));
    expect(new ResumableStore({ root: '/r', dir: 'cp' }).directory).to.equal(resolve('/r/cp'));
    expect(new ResumableStore({ root: '/r', dir: '/elsewhere' }).directory).to.equal(resolve('/elsewhere'));
    expect(() => new ResumableStore({ root: '' })).to.throw(/root/);
  });

  it('names one record per (bucket, key, absolute path) from hashes', () => {
    const s = new ResumableStore({ root });
    const f = s.fileFor('bkt', 'a/b.bin', '/data/b.bin');
    expect(f.startsWith(s.directory)).to.equal(true);
    expect(basename(f)).to.match(/^[0-9a-f]{32}--[0-9a-f]{32}\.json$/);
    const names = new Set([
      f,
      s.fileFor('bkt2', 'a/b.bin', '/data/b.bin'),
      s.fileFor('bkt', 'a/b.bin2', '/data/b.bin'),
      s.fileFor('bkt', 'a/b.bin', '/data/c.bin'),
      // "oss://bkt/a" + "/b.bin" must not collide with bucket "bkt/a"…: the key hash covers both
      s.fileFor('bk', 't/a/b.bin', '/data/b.bin'),
    ]);
    expect(names.size).to.equal(5);
    // Same object, same file: relative and absolute spellings of one path are one record.
    expect(s.fileFor('bkt', 'k', 'x/../y.bin')).to.equal(s.fileFor('bkt', 'k', resolve('y.bin')));
    // The object part of the name is shared by every file uploaded to that object.
    expect(basename(s.fileFor('bkt', 'k', '/1')).slice(0, 34)).to.equal(
      basename(s.fileFor('bkt', 'k', '/2')).slice(0, 34),
    );
  });

  it('saves atomically (0600 file in a 0700 directory, no temp file left) and loads the record back', async () => {
    const s = new ResumableStore({ root, dir: 'deep/cp' });
    expect(await s.load('bkt', 'a/b.bin', '/data/b.bin')).to.equal(undefined);
    await s.save(rec());
    expect(await s.load('bkt', 'a/b.bin', '/data/b.bin')).to.deep.equal(rec());
    expect(await readdir(s.directory)).to.deep.equal([basename(s.fileFor('bkt', 'a/b.bin', '/data/b.bin'))]);
    if (process.platform !== 'win32') {
      expect((await stat(s.fileFor('bkt', 'a/b.bin', '/data/b.bin'))).mode & 0o777).to.equal(0o600);
      expect((await stat(s.directory)).mode & 0o777).to.equal(0o700);
    }
    await s.save(rec({ parts: [] }));
    expect((await s.load('bkt', 'a/b.bin', '/data/b.bin'))!.parts).to.deep.equal([]);
    await s.delete('bkt', 'a/b.bin', '/data/b.bin');
    expect(await s.load('bkt', 'a/b.bin', '/data/b.bin')).to.equal(undefined);
    await s.delete('bkt', 'a/b.bin', '/data/b.bin'); // idempotent
  });

  it('recreates its directory if it was removed', async () => {
    const s = new ResumableStore({ root, dir: 'cp' });
    await s.save(rec());
    await rm(s.directory, { recursive: true });
    await s.save(rec());
    expect(await s.load('bkt', 'a/b.bin', '/data/b.bin')).to.deep.equal(rec());
  });

  it('deletes and ignores a corrupt record', async () => {
    const s = new ResumableStore({ root });
    const file = s.fileFor('bkt', 'a/b.bin', '/data/b.bin');
    await mkdir(s.directory, { recursive: true });
    await writeFile(file, '{"format":"oss-stream/resumable-upload","version":2,"uploadId":"U1","bu');
    expect(await s.load('bkt', 'a/b.bin', '/data/b.bin')).to.equal(undefined);
    expect(await readdir(s.directory)).to.deep.equal([]);
  });

  it('deletes and ignores a record that belongs to another object or file', async () => {
    const s = new ResumableStore({ root });
    await s.save(rec());
    const file = s.fileFor('bkt', 'a/b.bin', '/data/b.bin');
    // Put another object's (valid) record under this name, as a copy or a hash collision would.
    const other = (await readFile(file, 'utf8')).replace('"key":"a/b.bin"', '"key":"other"');
    await writeFile(file, other);
    expect(await s.load('bkt', 'a/b.bin', '/data/b.bin')).to.equal(undefined);
    expect(await readdir(s.directory)).to.deep.equal([]);
  });

  it('serializes at call time: mutating the record after save() does not change what is written', async () => {
    const s = new ResumableStore({ root });
    const r = rec();
    const p = s.save(r);
    r.parts.push({ partNumber: 3, etag: '"E3"', crc64: '7', size: 95_200 });
    await p;
    expect((await s.load('bkt', 'a/b.bin', '/data/b.bin'))!.parts.length).to.equal(1);
  });

  it('sweep() removes temp files of killed writers, not records', async () => {
    const s = new ResumableStore({ root });
    expect(await s.sweep()).to.equal(0);
    await s.save(rec());
    const file = s.fileFor('bkt', 'a/b.bin', '/data/b.bin');
    await writeFile(`${file}.999999-abcd1234.tmp`, '{"half');
    expect(await s.sweep()).to.equal(1);
    expect(await readdir(s.directory)).to.deep.equal([basename(file)]);
  });

  /** The pid of a process that has just exited: nobody runs under it (for a while, at least). */
  const deadPid = (): number =>
    Number(
      spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout,
    );

  it("sweep() leaves the temp files of writers that still run: another upload's save in progress", async () => {
    const s = new ResumableStore({ root });
    await s.save(rec());
    const file = s.fileFor('bkt', 'a/b.bin', '/data/b.bin');
    // The parent of this process runs, as another cp to another key would.
    const live = `${file}.${process.ppid}-abcd1234.tmp`;
    const dead = `${file}.${deadPid()}-abcd1234.tmp`;
    await writeFile(live, '{"half');
    await writeFile(dead, '{"half');
    expect(await s.sweep()).to.equal(1);
    expect((await readdir(s.directory)).sort()).to.deep.equal([basename(file), basename(live)].sort());
  });

  it('lock(): one holder per record; a second one fails with CheckpointLocked until it is released', async () => {
    const s = new ResumableStore({ root });
    const release = await s.lock('bkt', 'a/b.bin', '/data/b.bin');
    const lockFile = `${s.fileFor('bkt', 'a/b.bin', '/data/b.bin')}.lock`;
    expect((await readFile(lockFile, 'utf8')).trim()).to.equal(String(process.pid));
    const err = await s.lock('bkt', 'a/b.bin', '/data/b.bin').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(OssError);
    expect((err as OssError).code).to.equal('CheckpointLocked');
    expect((err as OssError).message).to.equal(
      `another upload of /data/b.bin to oss://bkt/a/b.bin is running (pid ${process.pid}): wait for it to finish (its lock is ${lockFile}; remove it only if no such upload runs)`,
    );
    // Another record is not affected.
    const other = await s.lock('bkt', 'a/other.bin', '/data/b.bin');
    await release();
    await release(); // idempotent
    await (
      await s.lock('bkt', 'a/b.bin', '/data/b.bin')
    )();
    await other();
    expect(await readdir(s.directory)).to.deep.equal([]);
  });

  it('lock(): a lock left by a process that is gone (killed) is taken over', async () => {
    const s = new ResumableStore({ root });
    await mkdir(s.directory, { recursive: true });
    const lockFile = `${s.fileFor('bkt', 'a/b.bin', '/data/b.bin')}.lock`;
    await writeFile(lockFile, `${deadPid()}\n`);
    const release = await s.lock('bkt', 'a/b.bin', '/data/b.bin');
    expect((await readFile(lockFile, 'utf8')).trim()).to.equal(String(process.pid));
    await release();
    // An empty lock (its writer killed mid-write) is stale too, after a short grace.
    await writeFile(lockFile, '');
    await (
      await s.lock('bkt', 'a/b.bin', '/data/b.bin')
    )();
  });
});
