import { expect } from 'chai';
import { crc64 } from 'oss-stream';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  expectedPartSize,
  fileUnchanged,
  parseCheckpoint,
  serializeCheckpoint,
  type CheckpointRecord,
} from '../../lib/uploads/checkpoint-record.js';

const record = (): CheckpointRecord => ({
  uploadId: 'UPLOAD-1',
  bucket: 'b',
  key: 'dir/k.bin',
  path: '/data/k.bin',
  size: 10_000,
  mtimeMs: 1718000000123.4568,
  partSize: 4096,
  parts: [
    { partNumber: 3, etag: '"C"', crc64: crc64('three'), size: 1808 },
    { partNumber: 1, etag: '"A"', crc64: '18446744073709551615', size: 4096 },
  ],
});

describe('uploads/checkpoint-record', () => {
  it('serializes the current format with sorted parts, and reads it back exactly', () => {
    const text = serializeCheckpoint(record());
    expect(JSON.parse(text)).to.deep.equal({
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      uploadId: 'UPLOAD-1',
      bucket: 'b',
      key: 'dir/k.bin',
      path: '/data/k.bin',
      size: 10_000,
      mtimeMs: 1718000000123.4568,
      partSize: 4096,
      parts: [
        { partNumber: 1, etag: '"A"', crc64: '18446744073709551615', size: 4096 },
        { partNumber: 3, etag: '"C"', crc64: crc64('three'), size: 1808 },
      ],
    });
    const back = parseCheckpoint(text)!;
    expect(back).to.deep.equal({ ...record(), parts: [record().parts[1], record().parts[0]] });
    expect(CHECKPOINT_FORMAT).to.equal('oss-stream/resumable-upload');
    expect(CHECKPOINT_VERSION).to.equal(2);
  });

  it('refuses to serialize a part whose CRC64 was never verified', () => {
    const r = record();
    r.parts[0]!.crc64 = undefined;
    expect(() => serializeCheckpoint(r)).to.throw(/part 3 has no CRC64/);
  });

  it('reads format version 1: sizes from the part grid, no CRC64, integer-ms mtime', () => {
    const v1 = {
      format: CHECKPOINT_FORMAT,
      version: 1,
      uploadId: 'U',
      bucket: 'b',
      key: 'k',
      path: '/p',
      size: 10_000,
      mtime: 1718000000123,
      partSize: 4096,
      parts: [
        { partNumber: 3, etag: '"C"' },
        { partNumber: 2, etag: '"B"' },
      ],
    };
    expect(parseCheckpoint(JSON.stringify(v1))).to.deep.equal({
      uploadId: 'U',
      bucket: 'b',
      key: 'k',
      path: '/p',
      size: 10_000,
      mtimeMs: 1718000000123,
      partSize: 4096,
      parts: [
        { partNumber: 2, etag: '"B"', crc64: undefined, size: 4096 },
        { partNumber: 3, etag: '"C"', crc64: undefined, size: 1808 },
      ],
    });
    expect(parseCheckpoint(JSON.stringify({ ...v1, mtime: 1.5 })), 'v1 mtime is whole ms').to.equal(undefined);
  });

  const valid = JSON.parse(serializeCheckpoint(record())) as Record<string, unknown>;
  const cases: [string, unknown][] = [
    ['empty text', ''],
    ['truncated JSON', serializeCheckpoint(record()).slice(0, 60)],
    ['an array', []],
    ['another format', { ...valid, format: 'oss2' }],
    ['a newer version', { ...valid, version: 3 }],
    ['no uploadId', { ...valid, uploadId: undefined }],
    ['an empty key', { ...valid, key: '' }],
    ['a negative size', { ...valid, size: -1 }],
    ['a fractional size', { ...valid, size: 1.5 }],
    ['a zero part size', { ...valid, partSize: 0 }],
    ['a string mtime', { ...valid, mtimeMs: '1' }],
    ['parts not an array', { ...valid, parts: {} }],
    ['a part number 0', { ...valid, parts: [{ partNumber: 0, etag: '"A"', crc64: '1', size: 4096 }] }],
    ['a part number past the last part', { ...valid, parts: [{ partNumber: 4, etag: '"A"', crc64: '1', size: 4096 }] }],
    [
      'a part listed twice',
      {
        ...valid,
        parts: [
          { partNumber: 1, etag: '"A"', crc64: '1', size: 4096 },
          { partNumber: 1, etag: '"A"', crc64: '1', size: 4096 },
        ],
      },
    ],
    ['a part without ETag', { ...valid, parts: [{ partNumber: 1, crc64: '1', size: 4096 }] }],
    [
      'a part with a non-decimal CRC64',
      { ...valid, parts: [{ partNumber: 1, etag: '"A"', crc64: '0x1', size: 4096 }] },
    ],
    [
      'a part with a CRC64 over 2^64',
      { ...valid, parts: [{ partNumber: 1, etag: '"A"', crc64: '18446744073709551616', size: 4096 }] },
    ],
    ['a part of the wrong size', { ...valid, parts: [{ partNumber: 3, etag: '"A"', crc64: '1', size: 4096 }] }],
    ['a v2 part without size', { ...valid, parts: [{ partNumber: 1, etag: '"A"', crc64: '1' }] }],
  ];
  for (const [name, value] of cases) {
    it(`rejects ${name}`, () => {
      expect(parseCheckpoint(typeof value === 'string' ? value : JSON.stringify(value))).to.equal(undefined);
    });
  }

  it('expectedPartSize follows the grid, the last part holding the rest', () => {
    expect([1, 2, 3].map((n) => expectedPartSize(10_000, 4096, n))).to.deep.equal([4096, 4096, 1808]);
    expect(expectedPartSize(8192, 4096, 2)).to.equal(4096);
  });

  it('fileUnchanged compares size and exact mtime (whole ms for records from version 1)', () => {
    const r = record();
    expect(fileUnchanged(r, { size: 10_000, mtimeMs: 1718000000123.4568 })).to.equal(true);
    expect(fileUnchanged(r, { size: 10_001, mtimeMs: 1718000000123.4568 })).to.equal(false);
    expect(fileUnchanged(r, { size: 10_000, mtimeMs: 1718000000123.5 })).to.equal(false);
    const v1 = { ...r, mtimeMs: 1718000000123 };
    expect(fileUnchanged(v1, { size: 10_000, mtimeMs: 1718000000123.9 })).to.equal(true);
    expect(fileUnchanged(v1, { size: 10_000, mtimeMs: 1718000000124.1 })).to.equal(false);
  });
});
