import { expect } from 'chai';
import { UsageError } from '../../lib/cli/args.js';
import { parseShipArgs } from '../../lib/cli/ship-args.js';

describe('oss-stream ship arguments', () => {
  const env = { OSS_ACCESS_KEY_ID: 'id', OSS_ACCESS_KEY_SECRET: 'secret', OSS_ENDPOINT: 'http://127.0.0.1:9' };
  const parse = (...argv: string[]) => {
    const r = parseShipArgs(argv, env);
    if (r.help) throw new Error('help');
    return r.command;
  };

  it('takes files then one destination, with sizes, durations, vars and headers', () => {
    const c = parse(
      'a.log',
      'b.log',
      'oss://logs-bucket/{app}/x-{seq}.log.gz',
      '--once',
      '--compress',
      'gzip',
      '--gzip-level',
      '3',
      '--roll-size',
      '64MiB',
      '--roll-interval',
      '10m',
      '--flush-size',
      '256KiB',
      '--flush-interval',
      '500ms',
      '--var',
      'app=api',
      '--header',
      'x-oss-meta-team: core',
      '--state-dir',
      '/tmp/s',
      '--time-zone',
      'local',
    );
    expect(c).to.deep.include({
      paths: ['a.log', 'b.log'],
      once: true,
      compress: 'gzip',
      gzipLevel: 3,
      rollBytes: 64 << 20,
      rollIntervalMs: 600_000,
      flushBytes: 256 << 10,
      flushIntervalMs: 500,
      stateDir: '/tmp/s',
      timeZone: 'local',
      endpoint: 'http://127.0.0.1:9',
    });
    expect(c.target).to.deep.equal({ bucket: 'logs-bucket', key: '{app}/x-{seq}.log.gz' });
    expect(c.vars).to.deep.equal({ app: 'api' });
    expect(c.headers).to.deep.equal({ 'x-oss-meta-team': 'core' });
    expect(c.credentials).to.deep.include({ accessKeyId: 'id', accessKeySecret: 'secret' });
  });

  it('refuses what cannot work with a usage error', () => {
    for (const argv of [
      ['oss://b-b/x-{seq}'],
      ['a.log', 'oss://b-b/no-seq.log'],
      ['-', 'oss://b-b/x-{seq}'],
      ['a.log', 'oss://b-b/x-{seq}', '--compress', 'zstd'],
      ['a.log', 'oss://b-b/x-{seq}', '--gzip-level', '0'],
      ['a.log', 'oss://b-b/x-{seq}', '--var', 'novalue'],
      ['a.log', 'oss://b-b/x-{seq}', '--time-zone', 'mars'],
      ['a.log', 'oss://b-b/x-{seq}', '--flush-interval', 'soon'],
    ]) {
      expect(() => parseShipArgs(argv, env), argv.join(' ')).to.throw(UsageError);
    }
    expect(parseShipArgs(['--help'], env)).to.deep.equal({ help: true });
  });

  it('without an endpoint refuses (a follower without its environment must not ship into a throw-away server)', () => {
    const bare = { OSS_ACCESS_KEY_ID: 'id', OSS_ACCESS_KEY_SECRET: 'secret' };
    expect(() => parseShipArgs(['a.log', 'oss://b-b/x-{seq}'], bare)).to.throw(
      UsageError,
      /no endpoint.*OSS_ENDPOINT.*--endpoint/,
    );
    const local = parseShipArgs(['a.log', 'oss://b-b/x-{seq}', '--local'], bare);
    expect(local.help === false && local.command).to.deep.include({ local: true, endpoint: undefined });
    expect(() => parseShipArgs(['a.log', 'oss://b-b/x-{seq}', '--local', '--endpoint', 'http://h'], bare)).to.throw(
      UsageError,
      /exclude/,
    );
  });
});
