// The link model is the yardstick of the throughput benchmarks and of `concurrency: 'auto'`: check that it holds
// each limit it claims (lower bounds only: a loaded machine may make anything slower, never faster).
import { expect } from 'chai';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { startLinkProxy, type LinkProxy } from './link-model.js';

const MB = 1e6;

describe('support/link-model', () => {
  let sink: http.Server;
  let target: string;
  let received = 0;
  before(async () => {
    // A server that reads every body and answers at once: any delay measured is the proxy's.
    sink = http.createServer((req, res) => {
      req.on('data', (c: Buffer) => (received += c.length));
      req.on('end', () => res.end('ok'));
    });
    sink.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    target = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => sink.close(() => r())));

  async function put(proxy: LinkProxy, bytes: number, agent: http.Agent): Promise<number> {
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const req = http.request(
        `${proxy.endpoint}/x`,
        { method: 'PUT', agent, headers: { 'content-length': bytes } },
        (res) => {
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.end(Buffer.alloc(bytes));
    });
    return performance.now() - t0;
  }

  it('holds one connection to its cap and adds the round trip and the handshake', async () => {
    const proxy = await startLinkProxy(target, {
      rttMs: 40,
      perConnectionBytesPerSecond: 4 * MB,
      aggregateBytesPerSecond: Infinity,
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const before = received;
      const first = await put(proxy, 1 * MB, agent);
      expect(received - before).to.equal(1 * MB);
      // 1 MB at 4 MB/s = 250 ms, plus a round trip for the answer and one for the handshake.
      expect(first).to.be.at.least(250 + 2 * 40 - 5);
      const second = await put(proxy, 0, agent);
      expect(second).to.be.at.least(40 - 5);
      expect(proxy.connections).to.equal(1);
    } finally {
      agent.destroy();
      await proxy.close();
    }
  });

  it('lets connections below the host cap add up: a waiting connection holds no one else back', async () => {
    const proxy = await startLinkProxy(target, {
      rttMs: 2,
      perConnectionBytesPerSecond: 2 * MB,
      aggregateBytesPerSecond: 100 * MB,
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    try {
      const t0 = performance.now();
      await Promise.all([0, 1, 2, 3].map(() => put(proxy, 1 * MB, agent)));
      // Four connections at 2 MB/s each: 500 ms side by side. The one upper bound of this spec, with a wide margin:
      // a host schedule that queued every chunk behind another connection's next slot (the bug this pins) took
      // 1.45 s, carrying 2.8 MB/s of the 8 the four connections have.
      expect(performance.now() - t0).to.be.below(1000);
      expect(proxy.peakConnections).to.equal(4);
    } finally {
      agent.destroy();
      await proxy.close();
    }
  });

  it('holds all connections together to the host cap', async () => {
    const proxy = await startLinkProxy(target, {
      rttMs: 2,
      perConnectionBytesPerSecond: 8 * MB,
      aggregateBytesPerSecond: 8 * MB,
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    try {
      const t0 = performance.now();
      await Promise.all([0, 1, 2, 3].map(() => put(proxy, 1 * MB, agent)));
      // 4 MB through an 8 MB/s host cap: at least 500 ms, although each connection alone could carry 8 MB/s.
      expect(performance.now() - t0).to.be.at.least(500 - 5);
      expect(proxy.peakConnections).to.equal(4);
      expect(proxy.bytesUp).to.be.at.least(4 * MB);
    } finally {
      agent.destroy();
      await proxy.close();
    }
  });

  it('passes a FIN on behind the bytes sent before it, both ways, and then lets the connection go', async () => {
    // A raw server that answers what it read, and closes as soon as the client's stream ends ("Connection: close").
    const seen: string[] = [];
    const raw = net.createServer({ allowHalfOpen: true }, (socket) => {
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString()));
      socket.on('end', () => {
        seen.push(text);
        socket.end(`read ${text.length} bytes`);
      });
    });
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    const proxy = await startLinkProxy(`http://127.0.0.1:${(raw.address() as AddressInfo).port}`, {
      rttMs: 60,
      perConnectionBytesPerSecond: 1 * MB,
      aggregateBytesPerSecond: Infinity,
    });
    try {
      const port = Number(new URL(proxy.endpoint).port);
      const client = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
      let answer = '';
      client.on('data', (c: Buffer) => (answer += c.toString()));
      const closed = new Promise<boolean>((resolve) => client.on('close', resolve));
      const errors: Error[] = [];
      client.on('error', (e) => errors.push(e));
      // The FIN leaves right behind 100 kB that take 100 ms to cross: the server must see every byte before it.
      client.end('x'.repeat(100_000));
      client.on('end', () => client.end());
      expect(await closed, 'closed with an error').to.equal(false);
      expect(errors).to.deep.equal([]);
      expect(seen).to.deep.equal(['x'.repeat(100_000)]);
      // The answer the server wrote just before closing arrives (a reset would have lost it on the link).
      expect(answer).to.equal('read 100000 bytes');
    } finally {
      await proxy.close();
      await new Promise<void>((r) => raw.close(() => r()));
    }
  });
});
