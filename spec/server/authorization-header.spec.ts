import { expect } from 'chai';
import {
  parseAuthorizationV1,
  parseAuthorizationV4,
  parseCredentialV4,
} from '../../lib/server/authorization-header.js';

describe('server/authorization-header', () => {
  it('parseAuthorizationV1 splits the header and rejects other shapes', () => {
    expect(parseAuthorizationV1('OSS ak:kSHKmLxlyEAKtZPkJhG9bZb5k7M=')).to.deep.equal({
      accessKeyId: 'ak',
      signature: 'kSHKmLxlyEAKtZPkJhG9bZb5k7M=',
    });
    expect(parseAuthorizationV1('OSS ak')).to.equal(null);
    expect(parseAuthorizationV1('OSS :sig')).to.equal(null);
    expect(parseAuthorizationV1('OSS ak:')).to.equal(null);
    expect(parseAuthorizationV1('OSS4-HMAC-SHA256 Credential=x')).to.equal(null);
  });

  describe('parseAuthorizationV4', () => {
    const SIG = '4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f';
    const EXPECTED = {
      accessKeyId: 'ak',
      date: '20231216',
      region: 'cn-hangzhou',
      product: 'oss',
      scope: '20231216/cn-hangzhou/oss/aliyun_v4_request',
      additionalHeaders: ['abc', 'zabc'],
      signature: SIG,
    };

    it('parses the go / ali-oss form (",", AdditionalHeaders before Signature)', () => {
      expect(
        parseAuthorizationV4(
          `OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=abc;zabc,Signature=${SIG}`,
        ),
      ).to.deep.equal(EXPECTED);
    });

    it('parses the oss2 form (", ", AdditionalHeaders last)', () => {
      expect(
        parseAuthorizationV4(
          `OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request, Signature=${SIG}, AdditionalHeaders=abc;zabc`,
        ),
      ).to.deep.equal(EXPECTED);
    });

    it('parses a header without AdditionalHeaders', () => {
      expect(
        parseAuthorizationV4(
          `OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=${SIG}`,
        ),
      ).to.deep.equal({
        ...EXPECTED,
        additionalHeaders: [],
      });
    });

    it('returns null for malformed headers', () => {
      const cred = 'Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request';
      for (const bad of [
        `OSS ak:sig`,
        `OSS4-HMAC-SHA256Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=${SIG}`,
        `OSS4-HMAC-SHA256 ${cred}`,
        `OSS4-HMAC-SHA256 Signature=${SIG}`,
        `OSS4-HMAC-SHA256 ${cred},Signature=${SIG.toUpperCase()}`,
        `OSS4-HMAC-SHA256 ${cred},Signature=${SIG.slice(1)}`,
        `OSS4-HMAC-SHA256 ${cred},Signature=${SIG},Signature=${SIG}`,
        `OSS4-HMAC-SHA256 ${cred},Other=x,Signature=${SIG}`,
        `OSS4-HMAC-SHA256 Credential=ak/2023121/cn-hangzhou/oss/aliyun_v4_request,Signature=${SIG}`,
        `OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v2_request,Signature=${SIG}`,
        `OSS4-HMAC-SHA256 Credential=20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=${SIG}`,
        `OSS4-HMAC-SHA256 ${cred},,Signature=${SIG}`,
      ]) {
        expect(parseAuthorizationV4(bad), bad).to.equal(null);
      }
    });

    it('parses each credential on its own terms, though the last one parsed is remembered', () => {
      const a = 'ak/20231216/cn-hangzhou/oss/aliyun_v4_request';
      const b = 'bk/20231217/cn-shanghai/oss/aliyun_v4_request';
      for (const [cred, expected] of [
        [a, ['ak', '20231216', 'cn-hangzhou']],
        [b, ['bk', '20231217', 'cn-shanghai']],
        [a, ['ak', '20231216', 'cn-hangzhou']],
        [a, ['ak', '20231216', 'cn-hangzhou']],
      ] as const) {
        const scope = parseCredentialV4(cred)!;
        expect([scope.accessKeyId, scope.date, scope.region], cred).to.deep.equal(expected);
      }
      // A malformed credential after a good one is still rejected, and the remembered one is not mutable.
      expect(parseCredentialV4(`${a}x`)).to.equal(null);
      expect(Object.isFrozen(parseCredentialV4(a))).to.equal(true);
    });
  });
});
