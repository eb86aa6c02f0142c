/**
 * A TCP proxy that paces client→server bytes at `bytesPerSecond` per connection. On loopback a 256 KiB part is
 * on the wire for microseconds, so a kill would almost never catch one half-sent; paced, every part in flight is
 * a real partial body when the uploader dies. When the client side goes away, whatever the proxy still holds is
 * dropped and the server side is reset, as a dead host's connection would be.
 */
import net from 'node:net';

/** A running proxy. */
export interface ThrottleProxy {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  close(): Promise<void>;
}

/** Proxies `127.0.0.1:<port>` to `target` (`http://host:port`). */
export async function startThrottleProxy(target: string, bytesPerSecond: number): Promise<ThrottleProxy> {
  const url = new URL(target);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(url.port), url.hostname);
    sockets.add(client);
    sockets.add(upstream);
    // One FIFO queue and one timer per connection: bytes leave in order, each chunk once its paced time came.
    const queue: { chunk: Buffer; at: number }[] = [];
    let releaseAt = Date.now();
    let timer: NodeJS.Timeout | undefined;
    let dead = false;
    const kill = () => {
      if (dead) return;
      dead = true;
      if (timer !== undefined) clearTimeout(timer);
      queue.length = 0;
      client.destroy();
      upstream.resetAndDestroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    const drain = () => {
      timer = undefined;
      while (queue.length > 0 && queue[0]!.at <= Date.now()) upstream.write(queue.shift()!.chunk);
      if (queue.length < 8) client.resume();
      if (queue.length > 0 && !dead) timer = setTimeout(drain, Math.max(1, queue[0]!.at - Date.now()));
    };
    client.on('data', (chunk: Buffer) => {
      releaseAt = Math.max(releaseAt, Date.now()) + (chunk.length / bytesPerSecond) * 1000;
      queue.push({ chunk, at: releaseAt });
      if (queue.length >= 8) client.pause();
      timer ??= setTimeout(drain, Math.max(1, releaseAt - Date.now()));
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!dead) client.write(chunk);
    });
    client.on('close', kill);
    client.on('error', kill);
    upstream.on('close', kill);
    upstream.on('error', kill);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
