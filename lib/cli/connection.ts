/**
 * The `Bucket` a command talks to: the configured endpoint with the configured credentials, or, only when asked for
 * with `--local`, an embedded local server started for the duration of the command (it says loudly that the object
 * will not outlive it). A missing endpoint alone never starts it: a script must not "succeed" into a throw-away server.
 */
import { randomBytes } from 'node:crypto';
import { Auth, Bucket, StsAuth } from '../index.js';
import { UsageError } from './args.js';
import { NO_ENDPOINT, type CliCredentials } from './connection-args.js';

/** What {@link openConnection} needs to know. */
interface ConnectionRequest {
  readonly bucket: string;
  readonly endpoint: string | undefined;
  /** Start the embedded server (`--local`); required when there is no endpoint. */
  readonly local: boolean;
  readonly region: string | undefined;
  readonly credentials: CliCredentials | undefined;
  readonly signatureVersion: 'v1' | 'v4' | undefined;
  /** The client's retries per request (default: the library's). */
  readonly retries?: number | undefined;
}

/** An open client, and how to release it. */
export interface Connection {
  readonly bucket: Bucket;
  readonly endpoint: string;
  /** True when the endpoint is the embedded server, which stops (and forgets everything) at {@link close}. */
  readonly embedded: boolean;
  /** Closes the client's connections, then the embedded server if any. Idempotent. */
  close(): Promise<void>;
}

function authFor(c: CliCredentials): Auth | StsAuth {
  return c.securityToken === undefined
    ? new Auth(c.accessKeyId, c.accessKeySecret)
    : new StsAuth(c.accessKeyId, c.accessKeySecret, c.securityToken);
}

/**
 * Opens the client. `notice` receives the lines that tell the user what is going on (the embedded server).
 * @throws UsageError when an endpoint is given without credentials.
 */
export async function openConnection(req: ConnectionRequest, notice: (line: string) => void): Promise<Connection> {
  const clientOptions = { region: req.region, signatureVersion: req.signatureVersion, retries: req.retries };
  if (req.endpoint === undefined && !req.local) {
    throw new UsageError(NO_ENDPOINT);
  }
  if (req.endpoint !== undefined) {
    if (req.credentials === undefined) {
      throw new UsageError(
        'no credentials for the endpoint: ' +
          'set OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET (and OSS_SESSION_TOKEN for STS)',
      );
    }
    const bucket = new Bucket(authFor(req.credentials), req.endpoint, req.bucket, clientOptions);
    return { bucket, endpoint: req.endpoint, embedded: false, close: () => bucket.close() };
  }

  // Loaded only here: a command aimed at real OSS never pays for the server's modules.
  const { OssServer } = await import('../server/index.js');
  const credentials = req.credentials ?? {
    accessKeyId: 'oss-stream-cp',
    accessKeySecret: randomBytes(12).toString('hex'),
  };
  const server = await OssServer.start({
    buckets: [req.bucket],
    credentials: [
      credentials.securityToken === undefined
        ? { accessKeyId: credentials.accessKeyId, accessKeySecret: credentials.accessKeySecret }
        : { ...credentials, securityToken: credentials.securityToken },
    ],
    ...(req.region === undefined ? {} : { region: req.region }),
  });
  notice(
    `oss-stream: --local: started the embedded local OSS server at ${server.endpoint}. ` +
      'The object lives only as long as this command; to keep it, run `oss-stream serve --bucket ' +
      `${req.bucket}\` in another terminal and pass its URL with --endpoint ` +
      '(with its keys in OSS_ACCESS_KEY_ID/OSS_ACCESS_KEY_SECRET).',
  );
  const bucket = new Bucket(authFor(credentials), server.endpoint, req.bucket, {
    ...clientOptions,
    region: server.region,
  });
  let closing: Promise<void> | undefined;
  return {
    bucket,
    endpoint: server.endpoint,
    embedded: true,
    close: () => (closing ??= bucket.close().finally(() => server.close())),
  };
}
