/** A local receiver for OSS upload callbacks, so callback specs see exactly what the server posts. */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the callback server received. */
export interface CallbackHit {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * A local upload-callback receiver on 127.0.0.1: `POST /ok…` answers 200 with a JSON body, `POST /fail…` 500.
 */
export async function startCallbackServer(): Promise<{ url: string; hits: CallbackHit[]; close(): Promise<void> }> {
  const hits: CallbackHit[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      hits.push({ path: req.url ?? '', headers: req.headers, body });
      if ((req.url ?? '').startsWith('/fail')) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('callback receiver refuses');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ received: body }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
