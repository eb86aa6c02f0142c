import { expect } from 'chai';
import { parseCount, parseDuration, parseHeader, parseMeta, parseSize, UsageError } from '../../lib/cli/args.js';

describe('cli/args', () => {
  it('parses sizes: binary K/M/G and KiB/MiB/GiB, decimal KB/MB/GB, plain bytes, whole fractions', () => {
    expect(parseSize('8MiB', '--part-size')).to.equal(8 * 1024 * 1024);
    expect(parseSize('8M', '--part-size')).to.equal(8 * 1024 * 1024);
    expect(parseSize('8mb', '--part-size')).to.equal(8_000_000);
    expect(parseSize('512KiB', '--part-size')).to.equal(524_288);
    expect(parseSize('100k', '--part-size')).to.equal(102_400);
    expect(parseSize('1GiB', '--part-size')).to.equal(1024 ** 3);
    expect(parseSize('1048576', '--part-size')).to.equal(1_048_576);
    expect(parseSize('1.5MiB', '--part-size')).to.equal(1_572_864);
    expect(parseSize(' 64 B ', '--part-size')).to.equal(64);
  });

  it('refuses malformed sizes, naming the option and the value', () => {
    for (const bad of ['', 'MiB', '8XB', '-1M', '8 Mi', '1.3B']) {
      expect(() => parseSize(bad, '--part-size'), bad).to.throw(UsageError, /^--part-size must be/);
    }
    expect(() => parseSize('8XB', '--part-size')).to.throw(
      '--part-size must be a size such as 8MiB, 512KiB or 1048576, got "8XB"',
    );
  });

  it('parses durations (bare numbers are seconds) and counts', () => {
    expect(parseDuration('1s', '--flush-interval')).to.equal(1000);
    expect(parseDuration('250ms', '--flush-interval')).to.equal(250);
    expect(parseDuration('1.5s', '--flush-interval')).to.equal(1500);
    expect(parseDuration('2m', '--flush-interval')).to.equal(120_000);
    expect(parseDuration('3', '--flush-interval')).to.equal(3000);
    expect(parseDuration('0', '--flush-interval')).to.equal(0);
    expect(() => parseDuration('1h', '--flush-interval')).to.throw(UsageError, /--flush-interval must be a duration/);
    expect(parseCount('4', '--parallel', 1000)).to.equal(4);
    for (const bad of ['0', '1001', '2.5', 'four', ''])
      expect(() => parseCount(bad, '--parallel', 1000), bad).to.throw(UsageError, /from 1 to 1000/);
  });

  it('turns --meta k=v into x-oss-meta-k and --header into a name and a trimmed value', () => {
    expect(parseMeta('Owner=ops=team')).to.deep.equal(['x-oss-meta-owner', 'ops=team']);
    expect(parseMeta('empty=')).to.deep.equal(['x-oss-meta-empty', '']);
    expect(() => parseMeta('novalue')).to.throw(UsageError, '--meta must be key=value, got "novalue"');
    expect(() => parseMeta('=v')).to.throw(UsageError);
    expect(parseHeader('Cache-Control:  max-age=60 ')).to.deep.equal(['Cache-Control', 'max-age=60']);
    expect(parseHeader('x-oss-tagging: a=b:c')).to.deep.equal(['x-oss-tagging', 'a=b:c']);
    expect(() => parseHeader('NoColon')).to.throw(UsageError, '--header must be \'Name: value\', got "NoColon"');
  });
});
