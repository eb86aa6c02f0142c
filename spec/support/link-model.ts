/**
 * A network link as real users meet it, between a client and a server on loopback: every connection is capped
 * (TCP window ÷ round trip, or per-connection shaping), the host as a whole is capped (the NIC, the uplink), and
 * every byte arrives half a round trip after it left, in both directions; a new connection pays one round trip for
 * its handshake. On bare loopback no client can be told from another, because the server sets the pace; behind
 * this proxy, a client that keeps too few requests in flight is as slow as it would be over a WAN.
 *
 * Client→server bytes are paced per connection and through one shared aggregate schedule (a FIFO link: whoever
 * sends first goes first); server→client bytes (answers, small) are only delayed. The proxy stops reading from a
 * client while it holds more than `queueBytes` for it, so backpressure reaches the client as on a real socket.
 */
import net from 'node:net';

/** The link to model. */
export interface LinkModel {
  /** Round trip in milliseconds (each direction is delayed by half). */
  rttMs: number;
  /** Bytes per second one connection can carry upstream. */
  perConnectionBytesPerSecond: number;
  /** Bytes per second all connections together can carry upstream (`Infinity` for no host cap). */
  aggregateBytesPerSecond: number;
  /** Upstream bytes held per connection before the client is paused (default 256 KiB). */
  queueBytes?: number;
}

/** A running link. */
export interface LinkProxy {
  /** `http://127.0.0.1:<port>`: point the client here. */
  readonly endpoint: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Most connections open at once. */
  readonly peakConnections: number;
  /** Connections open now: a connection ends once both its sockets closed, after the bytes on the link arrived. */
  readonly openConnections: number;
  /** Client→server bytes delivered so far. */
  readonly bytesUp: number;
  close(): Promise<void>;
}

interface Held {
  chunk: Buffer | null;
  at: number;
}

/** Starts a proxy on `127.0.0.1:<random port>` in front of `target` (`http://host:port`). */
export async function startLinkProxy(target: string, link: LinkModel): Promise<LinkProxy> {
  const url = new URL(target);
  const oneWayMs = link.rttMs / 2;
  const queueLimit = link.queueBytes ?? 256 * 1024;
  const sockets = new Set<net.Socket>();
  let aggregateFreeAt = 0;
  let connections = 0;
  let open = 0;
  let peak = 0;
  let bytesUp = 0;

  // Half-open on both sides: a FIN is passed on in order, after the bytes sent before it, as it would cross a link.
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    connections++;
    open++;
    peak = Math.max(peak, open);
    const upstream = net.connect({ port: Number(url.port), host: url.hostname, allowHalfOpen: true });
    sockets.add(client);
    sockets.add(upstream);
    // The handshake: nothing can be delivered before one round trip has passed.
    let connectionFreeAt = performance.now() + link.rttMs;
    let queuedBytes = 0;
    let closed = 0;
    // Both sockets closed (after FINs both ways, or a reset): the connection is gone.
    const onClose = (): void => {
      if (++closed < 2) return;
      open--;
      up.stop();
      down.stop();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    // A reset crosses at once: whatever was still on the link is lost, as it is when a real peer resets.
    const reset = (): void => {
      up.stop();
      down.stop();
      client.destroy();
      upstream.resetAndDestroy();
    };
    const up = delayLine((chunk) => {
      if (chunk === null) {
        upstream.end();
        return;
      }
      queuedBytes -= chunk.length;
      bytesUp += chunk.length;
      upstream.write(chunk);
      if (queuedBytes < queueLimit && client.isPaused()) client.resume();
    });
    const down = delayLine((chunk) => (chunk === null ? client.end() : client.write(chunk)));

    client.on('data', (chunk: Buffer) => {
      const now = performance.now();
      // Two schedules, each a FIFO: the connection's and the host's. A chunk leaves once both have carried it. The
      // host's slot is taken from now, not from the connection's next slot: a chunk waiting for its own connection
      // must not hold the other connections back (that made four 2 MB/s connections carry 2.8 MB/s in all).
      connectionFreeAt = Math.max(now, connectionFreeAt) + (chunk.length / link.perConnectionBytesPerSecond) * 1000;
      let leaves = connectionFreeAt;
      if (Number.isFinite(link.aggregateBytesPerSecond)) {
        aggregateFreeAt = Math.max(now, aggregateFreeAt) + (chunk.length / link.aggregateBytesPerSecond) * 1000;
        leaves = Math.max(leaves, aggregateFreeAt);
      }
      queuedBytes += chunk.length;
      up.push(chunk, leaves + oneWayMs);
      if (queuedBytes >= queueLimit) client.pause();
    });
    upstream.on('data', (chunk: Buffer) => down.push(chunk, performance.now() + oneWayMs));
    // A FIN goes behind the bytes before it (the delay line is a FIFO), half a round trip later.
    client.on('end', () => up.push(null, performance.now() + oneWayMs));
    upstream.on('end', () => down.push(null, performance.now() + oneWayMs));
    client.on('error', reset);
    upstream.on('error', reset);
    client.on('close', onClose);
    upstream.on('close', onClose);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    get peakConnections() {
      return peak;
    },
    get openConnections() {
      return open;
    },
    get bytesUp() {
      return bytesUp;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A FIFO of chunks, each handed to `deliver` once its time (`performance.now()` ms) has come and every chunk before
 * it was delivered; `null` stands for the end of the stream (a FIN).
 */
function delayLine(deliver: (chunk: Buffer | null) => void): {
  push(chunk: Buffer | null, at: number): void;
  stop(): void;
} {
  const queue: Held[] = [];
  let head = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const drain = (): void => {
    timer = undefined;
    const now = performance.now();
    while (head < queue.length && queue[head]!.at <= now + 0.5) deliver(queue[head++]!.chunk);
    if (head > 1024 && head * 2 > queue.length) (queue.splice(0, head), (head = 0));
    schedule();
  };
  const schedule = (): void => {
    if (stopped || timer !== undefined || head >= queue.length) return;
    timer = setTimeout(drain, Math.max(0, queue[head]!.at - performance.now()));
  };
  return {
    push(chunk, at) {
      if (stopped) return;
      queue.push({ chunk, at });
      schedule();
    },
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      queue.length = 0;
    },
  };
}
