import { expect } from 'chai';
import { UsageError } from '../../lib/cli/args.js';
import { parseCpArgs, CP_USAGE, type CpCommand } from '../../lib/cli/cp-args.js';
import { MAX_BUFFER_BYTES } from '../../lib/config.js';

const MAX_PART = MAX_BUFFER_BYTES < 5 * 2 ** 30 ? `${MAX_BUFFER_BYTES / 2 ** 30}GiB` : '5GiB';

function command(argv: string[], env: Record<string, string> = {}): CpCommand {
  const r = parseCpArgs(argv, env);
  if (r.help) throw new Error('unexpected help');
  return r.command;
}

describe('cli/cp-args', () => {
  it('parses a file upload with every option', () => {
    const c = command([
      'backup.tar',
      'oss://my-bucket/backups/',
      '--endpoint',
      'http://127.0.0.1:9000',
      '--region',
      'cn-beijing',
      '--signature',
      'v1',
      '--part-size',
      '16MiB',
      '--parallel',
      '8',
      '--checkpoint-dir',
      '/tmp/ck',
      '--content-type',
      'application/x-tar',
      '--meta',
      'owner=ops',
      '--meta',
      'Tier=gold',
      '--header',
      'Cache-Control: no-cache',
      '--header',
      'content-type: text/plain',
      '-q',
      '--access-key-id',
      'id',
      '--access-key-secret',
      'secret',
      '--security-token',
      'tok',
      '--retries',
      '0',
    ]);
    expect(c).to.deep.equal({
      sourcePath: 'backup.tar',
      target: { bucket: 'my-bucket', key: 'backups/backup.tar' },
      endpoint: 'http://127.0.0.1:9000',
      local: false,
      region: 'cn-beijing',
      credentials: { accessKeyId: 'id', accessKeySecret: 'secret', securityToken: 'tok' },
      signatureVersion: 'v1',
      partSize: 16 * 1024 * 1024,
      concurrency: 8, // from --parallel, the old name
      checkpointDir: '/tmp/ck',
      // --content-type wins over a Content-Type --header, whatever its case
      headers: {
        'Cache-Control': 'no-cache',
        'x-oss-meta-owner': 'ops',
        'x-oss-meta-tier': 'gold',
        'Content-Type': 'application/x-tar',
      },
      append: false,
      flushIntervalMs: undefined,
      retries: 0,
      quiet: true,
    });
  });

  it('reads endpoint, region and credentials from the environment; flags win', () => {
    const env = {
      OSS_ENDPOINT: 'oss-cn-hangzhou.aliyuncs.com',
      OSS_REGION: 'cn-hangzhou',
      OSS_ACCESS_KEY_ID: 'env-id',
      OSS_ACCESS_KEY_SECRET: 'env-secret',
      OSS_SESSION_TOKEN: 'env-token',
    };
    const c = command(['--append', '-', 'oss://logs-bucket/app.log', '--flush-interval', '500ms'], env);
    expect(c.sourcePath).to.equal(undefined);
    expect(c.append).to.equal(true);
    expect(c.flushIntervalMs).to.equal(500);
    expect(c.endpoint).to.equal('oss-cn-hangzhou.aliyuncs.com');
    expect(c.region).to.equal('cn-hangzhou');
    expect(c.credentials).to.deep.equal({
      accessKeyId: 'env-id',
      accessKeySecret: 'env-secret',
      securityToken: 'env-token',
    });
    const f = command(
      [
        '-',
        'oss://logs-bucket/x',
        '--endpoint',
        'http://localhost:1',
        '--access-key-id',
        'a',
        '--access-key-secret',
        'b',
      ],
      env,
    );
    expect(f.endpoint).to.equal('http://localhost:1');
    expect(f.credentials).to.deep.equal({ accessKeyId: 'a', accessKeySecret: 'b', securityToken: 'env-token' });
    expect(command(['-', 'oss://logs-bucket/x', '--local'], { OSS_ACCESS_KEY_ID: '' }).credentials).to.equal(undefined);
  });

  it('without an endpoint refuses to run unless --local asks for the throw-away embedded server', () => {
    // A cron job without its environment: exit 2 naming what is missing, not a "successful" upload into nowhere.
    const creds = { OSS_ACCESS_KEY_ID: 'LTAI5tExample', OSS_ACCESS_KEY_SECRET: 'real-looking-secret' };
    for (const argv of [
      ['backup.tar', 'oss://bkt/k'],
      ['-', 'oss://bkt/k', '-q'],
      ['--append', '-', 'oss://bkt/app.log'],
    ]) {
      expect(() => parseCpArgs(argv, creds), argv.join(' ')).to.throw(
        UsageError,
        /^no endpoint: set OSS_ENDPOINT or pass --endpoint <url> \(or --local/,
      );
    }
    const local = command(['backup.tar', 'oss://bkt/k', '--local'], creds);
    expect([local.local, local.endpoint]).to.deep.equal([true, undefined]);
    // --local is explicit: it wins over an OSS_ENDPOINT in the environment.
    const overEnv = command(['backup.tar', 'oss://bkt/k', '--local'], {
      ...creds,
      OSS_ENDPOINT: 'oss-cn-hangzhou.aliyuncs.com',
    });
    expect([overEnv.local, overEnv.endpoint]).to.deep.equal([true, undefined]);
    expect(command(['backup.tar', 'oss://bkt/k'], { OSS_ENDPOINT: 'http://127.0.0.1:1' }).local).to.equal(false);
  });

  it('takes --concurrency auto (and --parallel auto, its old name)', () => {
    const env = { OSS_ENDPOINT: 'http://127.0.0.1:9000' };
    expect(command(['a', 'oss://bkt/a', '--concurrency', 'auto'], env).concurrency).to.equal('auto');
    expect(command(['a', 'oss://bkt/a', '--parallel', 'auto'], env).concurrency).to.equal('auto');
    expect(() => command(['a', 'oss://bkt/a', '--concurrency', 'fast'], env)).to.throw(/--concurrency/);
  });

  it('asks for help', () => {
    expect(parseCpArgs(['--help'], {})).to.deep.equal({ help: true });
    expect(parseCpArgs(['-h', 'whatever'], {})).to.deep.equal({ help: true });
  });

  it('refuses inconsistent or malformed command lines with a message naming the problem', () => {
    const cases: [string[], Record<string, string>, string | RegExp][] = [
      [[], {}, 'cp needs a source (a file or -) and a destination oss://bucket/key'],
      [['a', 'oss://bkt/a', 'extra'], {}, 'cp takes one source and one destination, got 3 arguments'],
      [['oss://bkt/a', 'b'], {}, 'cp uploads: the source must be a local file or -, the destination oss://bucket/key'],
      [['a', 'oss://bkt/a', '--signature', 'v2'], {}, '--signature must be v1 or v4, got "v2"'],
      [['a', 'oss://bkt/a', '--flush-interval', '1s'], {}, '--flush-interval only applies with --append'],
      [
        ['-', 'oss://bkt/a', '--checkpoint-dir', 'd'],
        {},
        '--checkpoint-dir only applies to file uploads (stdin and --append cannot be resumed)',
      ],
      [
        ['--append', '-', 'oss://bkt/a', '--parallel', '2'],
        {},
        '--part-size and --concurrency do not apply with --append (appends go one at a time)',
      ],
      [
        ['a', 'oss://bkt/a', '--part-size', '99KiB'],
        {},
        `--part-size must be from 100KiB to ${MAX_PART} (OSS limits, and the largest Buffer Node ${process.versions.node} can allocate), got 99KiB`,
      ],
      [
        ['a', 'oss://bkt/a', '--part-size', '6GiB'],
        {},
        `--part-size must be from 100KiB to ${MAX_PART} (OSS limits, and the largest Buffer Node ${process.versions.node} can allocate), got 6GiB`,
      ],
      [['a', 'oss://bkt/a', '--parallel', '0'], {}, '--concurrency must be an integer from 1 to 1000, got "0"'],
      [['a', 'oss://bkt/a', '--concurrency', '0'], {}, '--concurrency must be an integer from 1 to 1000, got "0"'],
      [
        ['a', 'oss://bkt/a', '--concurrency', '2', '--parallel', '3'],
        {},
        '--concurrency and --parallel are the same option: give one',
      ],
      [['a', 'oss://bkt/a', '--access-key-id', 'x'], {}, '--access-key-id and --access-key-secret go together'],
      [
        ['a', 'oss://bkt/a', '--security-token', 't'],
        {},
        '--security-token needs --access-key-id and --access-key-secret',
      ],
      [['a', 'oss://bkt/a'], { OSS_ACCESS_KEY_ID: 'x' }, 'OSS_ACCESS_KEY_SECRET is not set (the other one is)'],
      [['a', 'oss://bkt/a', '--endpoint', ' '], {}, '--endpoint must not be empty'],
      [['a', 'oss://bkt/a', '--meta', 'x'], {}, '--meta must be key=value, got "x"'],
      [
        ['a', 'oss://bkt/a', '--local', '--endpoint', 'http://127.0.0.1:1'],
        {},
        '--local and --endpoint exclude each other',
      ],
      [['a', 'oss://bkt/a', '--retries', '101'], {}, '--retries must be an integer from 0 to 100, got "101"'],
      [['a', 'oss://bkt/a', '--retries=-1'], {}, '--retries must be an integer from 0 to 100, got "-1"'],
    ];
    // Over Node 20's Buffer limit, under OSS's: a part is held in memory, so this Node cannot take it.
    const over = `--part-size must be from 100KiB to ${MAX_PART} (OSS limits, and the largest Buffer Node ${process.versions.node} can allocate), got 4.5GiB`;
    if (MAX_BUFFER_BYTES < 5 * 2 ** 30) cases.push([['-', 'oss://bkt/a', '--part-size', '4.5GiB'], {}, over]);
    for (const [argv, env, message] of cases)
      expect(() => parseCpArgs(argv, env), argv.join(' ')).to.throw(UsageError, message);
  });

  it('the help names the largest part size this Node can hold', () => {
    expect(CP_USAGE).to.include(`--part-size <size>`).and.include(`100KiB..${MAX_PART}`);
  });

  it('lets parseArgs report unknown options and missing values with its ERR_PARSE_ARGS codes', () => {
    expect(() => parseCpArgs(['a', 'oss://bkt/a', '--nope'], {}))
      .to.throw()
      .with.property('code', 'ERR_PARSE_ARGS_UNKNOWN_OPTION');
    expect(() => parseCpArgs(['a', 'oss://bkt/a', '--part-size'], {}))
      .to.throw()
      .with.property('code', 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE');
  });
});
