import { expect } from 'chai';
import fc from 'fast-check';
import { crc64 } from '../../lib/core/crc64.js';
import { PartCutter, type Part } from '../../lib/parts/part-cutter.js';

/** Drives the cutter the way a sink does: take a full part only when more bytes are waiting. */
function cut(chunks: Uint8Array[], partSize: number | ((n: number) => number)): Part[] {
  const sizeFor = typeof partSize === 'number' ? () => partSize : partSize;
  const cutter = new PartCutter({ partSize: sizeFor });
  const parts: Part[] = [];
  for (const chunk of chunks) {
    let off = 0;
    while (off < chunk.length) {
      if (cutter.full) parts.push(cutter.take());
      off = cutter.fill(chunk, off);
    }
  }
  parts.push(cutter.take());
  return parts;
}

/** The oracle: slice the concatenation at fixed boundaries; an empty input is one empty part. */
function oracle(all: Buffer, sizeFor: (n: number) => number): { size: number; offset: number }[] {
  const out: { size: number; offset: number }[] = [];
  let off = 0;
  for (let n = 1; off < all.length || out.length === 0; n++) {
    const size = Math.min(sizeFor(n), all.length - off);
    out.push({ size, offset: off });
    off += size;
  }
  return out;
}

function check(chunks: Uint8Array[], partSize: number | ((n: number) => number)) {
  const sizeFor = typeof partSize === 'number' ? () => partSize : partSize;
  const all = Buffer.concat(chunks);
  const parts = cut(chunks, partSize);
  const want = oracle(all, sizeFor);
  expect(parts.map((p) => ({ size: p.data.length, offset: p.offset }))).to.deep.equal(want);
  parts.forEach((p, i) => {
    expect(p.partNumber).to.equal(i + 1);
    expect(p.data.equals(all.subarray(p.offset, p.offset + p.data.length))).to.equal(true);
    expect(p.crc64).to.equal(crc64(all.subarray(p.offset, p.offset + p.data.length)));
  });
}

const bytes = (n: number, seed = 1) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

describe('parts/part-cutter', () => {
  it('boundaries: empty, one byte, exactly one part, exact multiples, one chunk spanning parts, 1-byte chunks', () => {
    check([], 10);
    check([Buffer.alloc(0)], 10);
    check([bytes(1)], 10);
    check([bytes(10)], 10); // exactly one part: still one part (lookahead)
    check([bytes(11)], 10);
    check([bytes(30)], 10); // exact multiple
    check([bytes(5), bytes(5), bytes(5), bytes(5)], 10);
    check([bytes(95)], 10); // one chunk spanning ten parts
    check(
      Array.from({ length: 23 }, (_, i) => bytes(1, i)),
      5,
    ); // 1-byte chunks
  });

  it('holds a full part until another byte arrives (lookahead)', () => {
    const c = new PartCutter({ partSize: () => 4 });
    expect(c.fill(bytes(4))).to.equal(4);
    expect(c.full).to.equal(true);
    // the stream could end here: then the held part is the last one
    const last = c.take();
    expect([last.partNumber, last.data.length]).to.deep.equal([1, 4]);
  });

  it('never retains the caller chunk (copies into its own non-pooled buffer)', () => {
    const chunk = Buffer.from('abc'); // a view on the shared 8 KiB pool
    const c = new PartCutter({ partSize: () => 8 });
    c.fill(chunk);
    chunk.fill(0x7a);
    const p = c.take();
    expect(p.data.toString()).to.equal('abc');
    expect(p.data.buffer).to.not.equal(chunk.buffer);
    expect(p.data.buffer.byteLength).to.equal(8);
  });

  it('follows a growing part-size schedule', () => {
    check([bytes(100)], (n) => (n <= 2 ? 8 : 16));
  });

  it('numbers parts from a resume point', () => {
    const c = new PartCutter({ partSize: () => 4, firstPartNumber: 7, firstOffset: 28 });
    expect(c.fill(bytes(6))).to.equal(4); // stops at the part boundary
    expect(c.full).to.equal(true);
    const c2 = new PartCutter({ partSize: () => 4, firstPartNumber: 7, firstOffset: 28 });
    const off = c2.fill(bytes(6));
    const p = c2.take();
    c2.fill(bytes(6), off);
    const q = c2.take();
    expect([p.partNumber, p.offset, q.partNumber, q.offset, q.data.length]).to.deep.equal([7, 28, 8, 32, 2]);
  });

  it('property: any chunking × any part size reproduces the input with matching CRC64', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 300 }), { maxLength: 20 }),
        fc.integer({ min: 1, max: 257 }),
        (chunks, partSize) => check(chunks, partSize),
      ),
      { numRuns: 300 },
    );
  });
});
