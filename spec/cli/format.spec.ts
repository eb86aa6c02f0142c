import { expect } from 'chai';
import { formatBytes, formatRate, formatSeconds } from '../../lib/cli/format.js';

describe('cli/format', () => {
  it('formats bytes in binary units, exact below 1 KiB', () => {
    expect(formatBytes(0)).to.equal('0 B');
    expect(formatBytes(1023)).to.equal('1023 B');
    expect(formatBytes(1024)).to.equal('1.0 KiB');
    expect(formatBytes(1536 * 1024)).to.equal('1.5 MiB');
    expect(formatBytes(256 * 1024 ** 3)).to.equal('256.0 GiB');
    expect(formatBytes(3 * 1024 ** 4)).to.equal('3.0 TiB');
  });

  it('formats rates and durations', () => {
    expect(formatRate(5 * 1024 * 1024)).to.equal('5.0 MiB/s');
    expect(formatSeconds(0.4)).to.equal('0s');
    expect(formatSeconds(59.6)).to.equal('1m00s');
    expect(formatSeconds(185)).to.equal('3m05s');
    expect(formatSeconds(3725)).to.equal('1h02m');
  });
});
