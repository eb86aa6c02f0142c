import { format, inspect } from 'node:util';
import { expect } from 'chai';
import { OssArgumentError, OssError } from '../../lib/errors.js';
import { eventually } from '../support/eventually.js';
import {
  Auth,
  authFromEnv,
  Credentials,
  ProviderAuth,
  StsAuth,
  type ProvidedCredentials,
} from '../../lib/core/credentials.js';

const SECRET = 'S3cr3t-Value-xyz';
const TOKEN = 'T0ken-Value-abc';

/** Every way a value ends up in a log line. None may contain the secret or the token. */
function renderings(x: object): string[] {
  return [
    inspect(x),
    inspect(x, { showHidden: true, depth: Infinity }),
    inspect(x, { customInspect: false, showHidden: true }),
    inspect({ nested: { deeper: x } }, { depth: Infinity }),
    format('%o', x),
    format('%O', x),
    format('%j', x),
    format('%s', x),
    JSON.stringify(x),
    JSON.stringify({ x }),
    String(x),
    `${x as { toString(): string }}`,
    '' + (x as { toString(): string }),
    Object.keys(x).join(','),
    JSON.stringify({ ...x }),
  ];
}

function expectRedacted(x: object): void {
  for (const r of renderings(x)) {
    expect(r).to.not.contain(SECRET);
    expect(r).to.not.contain(TOKEN);
  }
}

/** Deferred promise for driving a provider by hand. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('core/credentials', () => {
  describe('Auth', () => {
    it('answers synchronously with the same frozen credentials every time', () => {
      const auth = new Auth('ak', SECRET);
      const c = auth.getCredentials();
      expect(c).to.not.be.instanceOf(Promise);
      expect(c.accessKeyId).to.equal('ak');
      expect(c.accessKeySecret).to.equal(SECRET);
      expect(c.securityToken).to.equal(undefined);
      expect(auth.getCredentials()).to.equal(c);
      expect(Object.isFrozen(c)).to.equal(true);
      expect(auth.accessKeyId).to.equal('ak');
    });

    it('never renders the secret (inspect, %o, JSON, String, template literal, spread)', () => {
      const auth = new Auth('ak', SECRET);
      expectRedacted(auth);
      expectRedacted(auth.getCredentials());
      expect(inspect(auth)).to.equal("Auth { accessKeyId: 'ak', secret: '<redacted>' }");
      expect(JSON.stringify(auth)).to.equal('{"accessKeyId":"ak","secret":"<redacted>"}');
      expect(String(auth)).to.equal('Auth(accessKeyId=ak, secret=<redacted>)');
      expect(`${auth}`).to.equal('Auth(accessKeyId=ak, secret=<redacted>)');
      expect(inspect(auth.getCredentials())).to.equal("Credentials { accessKeyId: 'ak', secret: '<redacted>' }");
    });

    it('rejects empty, non-string, padded and control-character values without echoing them', () => {
      const cases: [unknown, unknown, string][] = [
        ['', SECRET, 'accessKeyId'],
        [undefined, SECRET, 'accessKeyId'],
        ['ak', '', 'accessKeySecret'],
        ['ak', 42, 'accessKeySecret'],
        ['ak', `${SECRET}\n`, 'accessKeySecret'],
        ['ak', ` ${SECRET}`, 'accessKeySecret'],
        ['ak', `${SECRET}\r\nX-Evil: 1`, 'accessKeySecret'],
        [' ak', SECRET, 'accessKeyId'],
      ];
      for (const [id, secret, argument] of cases) {
        let caught: unknown;
        try {
          new Auth(id as string, secret as string);
        } catch (err) {
          caught = err;
        }
        expect(caught, `${String(id)}`).to.be.instanceOf(OssArgumentError);
        const err = caught as OssArgumentError;
        expect(err.argument).to.equal(argument);
        expect(err.code).to.equal('InvalidArgument');
        expect(err.message).to.contain(argument);
        expect(inspect(err)).to.not.contain(SECRET);
      }
    });
  });

  describe('StsAuth', () => {
    it('carries the security token and redacts it', () => {
      const auth = new StsAuth('ak', SECRET, TOKEN);
      const c = auth.getCredentials();
      expect(c.securityToken).to.equal(TOKEN);
      expect(c.accessKeySecret).to.equal(SECRET);
      expectRedacted(auth);
      expectRedacted(c);
      expect(inspect(auth)).to.equal(
        "StsAuth {\n  accessKeyId: 'ak',\n  secret: '<redacted>',\n  securityToken: '<redacted>'\n}",
      );
      expect(JSON.stringify(c)).to.equal('{"accessKeyId":"ak","secret":"<redacted>","securityToken":"<redacted>"}');
    });

    it('requires a token', () => {
      expect(() => new StsAuth('ak', SECRET, '')).to.throw(OssArgumentError, /securityToken/);
    });
  });

  describe('Credentials', () => {
    it('keeps secret and token out of own enumerable properties', () => {
      const c = new Credentials('ak', SECRET, TOKEN, new Date('2030-01-01T00:00:00Z'));
      expect(Object.keys(c).sort()).to.deep.equal(['accessKeyId', 'expiration']);
      expect({ ...c }).to.not.have.property('accessKeySecret');
      const { accessKeySecret, securityToken } = c;
      expect([accessKeySecret, securityToken]).to.deep.equal([SECRET, TOKEN]);
      expect(JSON.stringify(c)).to.equal(
        '{"accessKeyId":"ak","secret":"<redacted>","securityToken":"<redacted>","expiration":"2030-01-01T00:00:00.000Z"}',
      );
      expectRedacted(c);
    });
  });

  describe('authFromEnv', () => {
    it('reads OSS_ACCESS_KEY_ID / OSS_ACCESS_KEY_SECRET into Auth', () => {
      const auth = authFromEnv({ OSS_ACCESS_KEY_ID: 'ak', OSS_ACCESS_KEY_SECRET: SECRET });
      expect(auth).to.be.instanceOf(Auth);
      expect(auth.getCredentials().accessKeySecret).to.equal(SECRET);
      expect(
        authFromEnv({ OSS_ACCESS_KEY_ID: 'ak', OSS_ACCESS_KEY_SECRET: SECRET, OSS_SESSION_TOKEN: '' }),
      ).to.be.instanceOf(Auth);
    });

    it('returns StsAuth when OSS_SESSION_TOKEN is set', () => {
      const auth = authFromEnv({ OSS_ACCESS_KEY_ID: 'ak', OSS_ACCESS_KEY_SECRET: SECRET, OSS_SESSION_TOKEN: TOKEN });
      expect(auth).to.be.instanceOf(StsAuth);
      expect(auth.getCredentials().securityToken).to.equal(TOKEN);
    });

    it('names the missing or malformed variable, never the value', () => {
      expect(() => authFromEnv({ OSS_ACCESS_KEY_SECRET: SECRET }))
        .to.throw(OssArgumentError, 'environment variable OSS_ACCESS_KEY_ID is not set')
        .with.property('argument', 'OSS_ACCESS_KEY_ID');
      expect(() => authFromEnv({ OSS_ACCESS_KEY_ID: 'ak', OSS_ACCESS_KEY_SECRET: '' }))
        .to.throw(OssArgumentError, 'environment variable OSS_ACCESS_KEY_SECRET is not set')
        .with.property('argument', 'OSS_ACCESS_KEY_SECRET');
      let caught: unknown;
      try {
        authFromEnv({ OSS_ACCESS_KEY_ID: 'ak', OSS_ACCESS_KEY_SECRET: `${SECRET}\n` });
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(OssArgumentError);
      expect((caught as OssArgumentError).argument).to.equal('OSS_ACCESS_KEY_SECRET');
      expect(inspect(caught)).to.not.contain(SECRET);
      expect(() =>
        authFromEnv({ OSS_ACCESS_KEY_ID: 'ak', OSS_ACCESS_KEY_SECRET: SECRET, OSS_SESSION_TOKEN: ' t' }),
      ).to.throw(OssArgumentError, /OSS_SESSION_TOKEN/);
    });

    it('defaults to process.env', () => {
      const saved = { ...process.env };
      try {
        process.env['OSS_ACCESS_KEY_ID'] = 'env-ak';
        process.env['OSS_ACCESS_KEY_SECRET'] = SECRET;
        delete process.env['OSS_SESSION_TOKEN'];
        expect(authFromEnv().accessKeyId).to.equal('env-ak');
      } finally {
        for (const k of ['OSS_ACCESS_KEY_ID', 'OSS_ACCESS_KEY_SECRET', 'OSS_SESSION_TOKEN']) {
          if (saved[k] === undefined) delete process.env[k];
          else process.env[k] = saved[k];
        }
      }
    });
  });

  describe('ProviderAuth', () => {
    const T0 = Date.UTC(2030, 0, 1);
    const MIN = 60_000;

    /** A provider that counts calls and hands out numbered credentials expiring `ttl` after the fake clock. */
    function counting(
      clock: { now: number },
      ttl: number | undefined,
    ): { calls: number; provider: () => Promise<ProvidedCredentials> } {
      const state = {
        calls: 0,
        provider: async (): Promise<ProvidedCredentials> => {
          state.calls++;
          await new Promise((r) => setImmediate(r));
          return {
            accessKeyId: `ak${state.calls}`,
            accessKeySecret: `${SECRET}${state.calls}`,
            securityToken: TOKEN,
            expiration: ttl === undefined ? undefined : new Date(clock.now + ttl),
          };
        },
      };
      return state;
    }

    it('fetches once for concurrent callers, then answers synchronously from the cache', async () => {
      const clock = { now: T0 };
      const p = counting(clock, 60 * MIN);
      const auth = new ProviderAuth(p.provider, { now: () => clock.now });
      expect(auth.accessKeyId).to.equal(undefined);
      const first = auth.getCredentials();
      expect(first).to.be.instanceOf(Promise);
      const all = await Promise.all([first, ...Array.from({ length: 9 }, () => auth.getCredentials())]);
      expect(p.calls).to.equal(1);
      for (const c of all) expect(c).to.equal(all[0]);
      expect(all[0]!.accessKeySecret).to.equal(`${SECRET}1`);
      expect(all[0]!.securityToken).to.equal(TOKEN);
      const cached = auth.getCredentials();
      expect(cached).to.equal(all[0]);
      expect(auth.accessKeyId).to.equal('ak1');
    });

    it('keeps credentials without expiration forever', async () => {
      const clock = { now: T0 };
      const p = counting(clock, undefined);
      const auth = new ProviderAuth(p.provider, { now: () => clock.now });
      const c = await auth.getCredentials();
      clock.now += 365 * 24 * 60 * MIN;
      expect(auth.getCredentials()).to.equal(c);
      expect(p.calls).to.equal(1);
    });

    it('inside the refresh window serves the current credentials and runs exactly one background refresh', async () => {
      const clock = { now: T0 };
      const p = counting(clock, 60 * MIN);
      const auth = new ProviderAuth(p.provider, { now: () => clock.now, refreshBeforeMs: 5 * MIN });
      const c1 = await auth.getCredentials();
      clock.now += 54 * MIN; // 6 minutes left: still fresh
      expect(auth.getCredentials()).to.equal(c1);
      expect(p.calls).to.equal(1);
      clock.now += 2 * MIN; // 4 minutes left: inside the window
      for (let i = 0; i < 5; i++) expect(auth.getCredentials()).to.equal(c1);
      expect(p.calls).to.equal(2);
      // the background refresh lands: from then on the refreshed credentials, at once (no promise)
      const c2 = await eventually(() => {
        const c = auth.getCredentials();
        expect(c).to.not.be.instanceOf(Promise);
        expect((c as Credentials).accessKeyId).to.equal('ak2');
        return c;
      });
      expect((c2 as Credentials).accessKeyId).to.equal('ak2');
      expect(p.calls).to.equal(2);
    });

    it('after expiry callers wait for the refreshed credentials', async () => {
      const clock = { now: T0 };
      const p = counting(clock, 10 * MIN);
      const auth = new ProviderAuth(p.provider, { now: () => clock.now, refreshBeforeMs: MIN });
      await auth.getCredentials();
      clock.now += 10 * MIN; // exactly expired
      const next = auth.getCredentials();
      expect(next).to.be.instanceOf(Promise);
      const [a, b] = await Promise.all([next, auth.getCredentials()]);
      expect(a.accessKeyId).to.equal('ak2');
      expect(b).to.equal(a);
      expect(p.calls).to.equal(2);
    });

    it('a failed fetch rejects every waiting caller with CredentialsProviderError, is not cached, and the next call retries', async () => {
      let calls = 0;
      const gate = deferred<ProvidedCredentials>();
      const boom = new Error('sts unavailable');
      const auth = new ProviderAuth(async () => {
        calls++;
        if (calls === 1) return gate.promise;
        return { accessKeyId: 'ak', accessKeySecret: SECRET };
      });
      const waiting = [auth.getCredentials(), auth.getCredentials(), auth.refresh()];
      gate.reject(boom);
      const results = await Promise.allSettled(waiting);
      expect(calls).to.equal(1);
      for (const r of results) {
        expect(r.status).to.equal('rejected');
        const err = (r as PromiseRejectedResult).reason as OssError;
        expect(err).to.be.instanceOf(OssError);
        expect(err.code).to.equal('CredentialsProviderError');
        expect(err.cause).to.equal(boom);
      }
      const ok = await auth.getCredentials();
      expect(ok.accessKeySecret).to.equal(SECRET);
      expect(calls).to.equal(2);
    });

    it('a synchronous throw or non-promise result from the provider is handled too', async () => {
      const throwing = new ProviderAuth(() => {
        throw new Error('sync');
      });
      const err = await (throwing.getCredentials() as Promise<unknown>).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(OssError).with.property('code', 'CredentialsProviderError');
      const plain = new ProviderAuth(() => ({
        accessKeyId: 'ak',
        accessKeySecret: SECRET,
        expiration: '2099-01-01T00:00:00Z',
      }));
      const c = await plain.getCredentials();
      expect(c.expiration?.toISOString()).to.equal('2099-01-01T00:00:00.000Z');
    });

    it('a failed background refresh keeps serving valid credentials and waits retryAfterFailureMs before trying again', async () => {
      const clock = { now: T0 };
      let calls = 0;
      const auth = new ProviderAuth(
        async () => {
          calls++;
          if (calls === 1)
            return { accessKeyId: 'ak', accessKeySecret: SECRET, expiration: new Date(clock.now + 10 * MIN) };
          throw new Error('down');
        },
        { now: () => clock.now, refreshBeforeMs: 5 * MIN, retryAfterFailureMs: 30_000 },
      );
      const c1 = await auth.getCredentials();
      clock.now += 6 * MIN;
      expect(auth.getCredentials()).to.equal(c1);
      // the provider fails at once: its rejection is handled in microtasks, so one turn of the loop sees it handled
      await new Promise((r) => setImmediate(r));
      expect(calls).to.equal(2);
      clock.now += 10_000;
      expect(auth.getCredentials()).to.equal(c1);
      expect(calls).to.equal(2, 'blocked after a failure');
      clock.now += 25_000;
      expect(auth.getCredentials()).to.equal(c1);
      expect(calls).to.equal(3);
    });

    it('invalidate() forces a new fetch and ignores a fetch that was in flight', async () => {
      let calls = 0;
      const gates = [deferred<ProvidedCredentials>(), deferred<ProvidedCredentials>()];
      const auth = new ProviderAuth(() => gates[calls++]!.promise);
      const old = auth.getCredentials() as Promise<Credentials>;
      auth.invalidate();
      const fresh = auth.getCredentials() as Promise<Credentials>;
      gates[1]!.resolve({ accessKeyId: 'new', accessKeySecret: SECRET });
      gates[0]!.resolve({ accessKeyId: 'old', accessKeySecret: SECRET });
      expect((await fresh).accessKeyId).to.equal('new');
      expect((await old).accessKeyId).to.equal('old');
      expect((auth.getCredentials() as Credentials).accessKeyId).to.equal('new');
    });

    it('rejects malformed provider output without echoing secrets', async () => {
      const bad: ProvidedCredentials[] = [
        { accessKeyId: '', accessKeySecret: SECRET },
        { accessKeyId: 'ak', accessKeySecret: `${SECRET} ` },
        { accessKeyId: 'ak', accessKeySecret: SECRET, expiration: 'not a date' },
      ];
      for (const out of bad) {
        const auth = new ProviderAuth(async () => out);
        const err = await (auth.getCredentials() as Promise<unknown>).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).to.be.instanceOf(OssArgumentError);
        expect((err as OssArgumentError).argument).to.match(/^provider\(\)\./);
        expect(inspect(err)).to.not.contain(SECRET);
      }
      expect(() => new ProviderAuth('nope' as unknown as () => ProvidedCredentials)).to.throw(OssArgumentError);
      expect(() => new ProviderAuth(async () => bad[0]!, { refreshBeforeMs: -1 })).to.throw(OssArgumentError);
    });

    it('never renders the secret or token, before or after fetching', async () => {
      const auth = new ProviderAuth(async () => ({
        accessKeyId: 'ak',
        accessKeySecret: SECRET,
        securityToken: TOKEN,
        expiration: new Date('2030-01-01T00:00:00Z'),
      }));
      expectRedacted(auth);
      expect(inspect(auth)).to.equal("ProviderAuth { accessKeyId: undefined, secret: '<redacted>' }");
      const c = await auth.getCredentials();
      expectRedacted(auth);
      expectRedacted(c);
      expect(inspect(auth)).to.equal(
        "ProviderAuth {\n  accessKeyId: 'ak',\n  secret: '<redacted>',\n  securityToken: '<redacted>',\n  expiration: '2030-01-01T00:00:00.000Z'\n}",
      );
      expect(`${auth}`).to.equal('ProviderAuth(accessKeyId=ak, secret=<redacted>)');
    });
  });
});
