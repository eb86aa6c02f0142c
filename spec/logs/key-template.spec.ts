import { expect } from 'chai';
import { KeyTemplate, OssArgumentError } from 'oss-stream';

describe('KeyTemplate', () => {
  const t0 = new Date(Date.UTC(2026, 0, 5, 7, 8, 9));

  it('renders date parts in UTC by default, and host, pid and seq', () => {
    const t = new KeyTemplate('logs/{hostname}/{yyyy}/{MM}/{dd}/{HH}{mm}{ss}-{pid}-{seq}.log', {
      hostname: 'web-1',
      pid: 42,
    });
    expect(t.render(t0, 0)).to.equal('logs/web-1/2026/01/05/070809-42-0.log');
    expect(t.render(t0, 17)).to.equal('logs/web-1/2026/01/05/070809-42-17.log');
  });

  it("renders the process's local time with timeZone: 'local'", () => {
    const t = new KeyTemplate('{yyyy}{MM}{dd}{HH}{mm}-{seq}', { timeZone: 'local' });
    const p = (n: number) => String(n).padStart(2, '0');
    expect(t.render(t0, 1)).to.equal(
      `${t0.getFullYear()}${p(t0.getMonth() + 1)}${p(t0.getDate())}${p(t0.getHours())}${p(t0.getMinutes())}-1`,
    );
  });

  it('fills caller vars and refuses unknown placeholders, a missing {seq} and shadowed built-ins', () => {
    expect(new KeyTemplate('{app}/{env}-{seq}', { vars: { app: 'api', env: 'prod' } }).render(t0, 2)).to.equal(
      'api/prod-2',
    );
    const bad = (tpl: string, vars?: Record<string, string>) => () => new KeyTemplate(tpl, { vars });
    expect(bad('{app}-{seq}')).to.throw(OssArgumentError, /unknown placeholder \{app\}/);
    expect(bad('logs/{yyyy}.log')).to.throw(OssArgumentError, /needs \{seq\}/);
    expect(bad('{seq}', { pid: '1' })).to.throw(OssArgumentError, /shadow/);
    expect(() => new KeyTemplate('{seq}', { timeZone: 'mars' as 'utc' })).to.throw(OssArgumentError, /timeZone/);
  });

  it('{hash} is 6 hex digits of the rest of the key, different per object, stable per (time, seq)', () => {
    const t = new KeyTemplate('{hash}/logs/{yyyy}{MM}{dd}{HH}/{seq}.log');
    const a = t.render(t0, 0);
    expect(a).to.match(/^[0-9a-f]{6}\/logs\/2026010507\/0\.log$/);
    expect(t.render(t0, 0)).to.equal(a);
    expect(t.render(t0, 1).slice(0, 6)).to.not.equal(a.slice(0, 6));
  });

  it('the prefix ignores seq and hash and changes when the hour turns', () => {
    const t = new KeyTemplate('{hash}-{HH}-{seq}');
    expect(t.prefix(t0)).to.equal(t.prefix(new Date(t0.getTime() + 60_000)));
    expect(t.prefix(t0)).to.not.equal(t.prefix(new Date(t0.getTime() + 3_600_000)));
  });
});
