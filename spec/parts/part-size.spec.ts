import { expect } from 'chai';
import { determinePartSize, growingPartSize, partCount } from '../../lib/parts/part-size.js';
import { OssArgumentError } from '../../lib/errors.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

describe('parts/part-size', () => {
  it("matches oss2's determine_part_size vectors", () => {
    // (total, preferred) → part size, from the protocol reference §8.1
    const cases: [number, number | undefined, number, number][] = [
      [1 * MiB, 128 * KiB, 131072, 8],
      [1 * MiB, undefined, 1048576, 1],
      [10 * GiB, undefined, 10485760, 1024],
      [200 * GiB, undefined, 41943040, 5120],
      [50 * KiB, 10 * KiB, 163840, 1],
      [500 * KiB, 10 * KiB, 163840, 4],
      [1000 * GiB, 1 * MiB, 134217728, 8000],
    ];
    for (const [total, preferred, size, parts] of cases) {
      const got = determinePartSize(total, preferred);
      expect(got, `${total}/${preferred}`).to.equal(size);
      expect(partCount(total, got)).to.equal(parts);
    }
  });

  it('returns small totals as one part and rejects nonsense', () => {
    expect(determinePartSize(0)).to.equal(0);
    expect(partCount(0, 100)).to.equal(1);
    expect(() => determinePartSize(-1)).to.throw(OssArgumentError);
    expect(() => determinePartSize(Number.NaN)).to.throw(OssArgumentError);
    expect(() => determinePartSize(10, 0)).to.throw(OssArgumentError);
    expect(() => determinePartSize(49 * 1024 * GiB)).to.throw(OssArgumentError, /largest OSS object/);
  });

  it('grows unknown-length part sizes: bounded buffers for small streams, TiB capacity for large ones', () => {
    expect(growingPartSize(1, 8 * MiB)).to.equal(8 * MiB);
    expect(growingPartSize(1000, 8 * MiB)).to.equal(8 * MiB);
    expect(growingPartSize(1001, 8 * MiB)).to.equal(16 * MiB);
    expect(growingPartSize(10000, 8 * MiB)).to.equal(4 * GiB);
    expect(growingPartSize(10000, 16 * MiB)).to.equal(5 * GiB); // capped at the largest part
    // a small stream never allocates more than the base
    expect(growingPartSize(3, 1 * MiB)).to.equal(1 * MiB);
  });
});
