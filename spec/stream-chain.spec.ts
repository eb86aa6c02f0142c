// stream-chain 4 is what README and examples compose with (a devDependency: users install it themselves); prove it
// works on this Node (20.x) as they use it.
import { expect } from 'chai';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import chain, { none } from 'stream-chain';

describe('stream-chain on this Node', () => {
  it(`composes byte streams (Node ${process.version})`, async () => {
    const input = Buffer.from('hello stream-chain '.repeat(1000));
    const got: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        got.push(chunk);
        cb();
      },
    });
    // Byte streams must say so: chain() defaults to object mode.
    const c = chain([zlib.createGzip(), zlib.createGunzip()], { readableObjectMode: false, writableObjectMode: false });
    await pipeline(Readable.from([input]), c, sink);
    expect(Buffer.concat(got).equals(input)).to.equal(true);
  });

  it('runs function stages in object mode', async () => {
    const out: number[] = [];
    const c = chain([(x: number) => x * 2, (x: number) => (x % 3 === 0 ? none : x)]);
    c.on('data', (x: number) => out.push(x));
    const done = new Promise((r) => c.on('end', r));
    for (const x of [1, 2, 3, 4, 5, 6]) c.write(x);
    c.end();
    await done;
    expect(out).to.deep.equal([2, 4, 8, 10]);
  });
});
