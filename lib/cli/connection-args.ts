/**
 * The command-line options every command that talks to OSS takes (`--endpoint`, `--local`, `--region`,
 * `--signature`, `--header`, `-q`, `-h`) and how they, with the environment, become one checked connection.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './args.js';

/** The `parseArgs` options shared by `cp` and `ship`. */
export const CONNECTION_OPTIONS = {
  endpoint: { type: 'string' },
  local: { type: 'boolean' },
  region: { type: 'string' },
  signature: { type: 'string' },
  header: { type: 'string', multiple: true },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

type CommandLineConfig<T> = {
  args: string[];
  strict: true;
  allowPositionals: true;
  options: typeof CONNECTION_OPTIONS & T;
};

/**
 * Parses a command's arguments: {@link CONNECTION_OPTIONS} and the command's own, strictly (an unknown option is a
 * `parseArgs` error), positionals allowed.
 */
export function parseCommandLine<const T extends NonNullable<ParseArgsConfig['options']>>(
  argv: readonly string[],
  options: T,
): ReturnType<typeof parseArgs<CommandLineConfig<T>>> {
  const config: CommandLineConfig<T> = {
    args: [...argv],
    strict: true,
    allowPositionals: true,
    options: { ...CONNECTION_OPTIONS, ...options },
  };
  return parseArgs(config);
}

/** The usage error of a command without an endpoint. */
export const NO_ENDPOINT =
  'no endpoint: set OSS_ENDPOINT or pass --endpoint <url> (or --local to try it out on a throw-away embedded server)';

/** Credentials named on the command line or in the environment. */
export interface CliCredentials {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly securityToken?: string | undefined;
}

/** Where and how a command connects. */
export interface ConnectionArgs {
  /** From `--endpoint` or `OSS_ENDPOINT`; `undefined` only with `local` (see {@link requireEndpoint}). */
  readonly endpoint: string | undefined;
  /** `--local`: an embedded server that lives as long as the command (never implied). */
  readonly local: boolean;
  readonly region: string | undefined;
  readonly credentials: CliCredentials | undefined;
  readonly signatureVersion: 'v1' | 'v4' | undefined;
}

type Vars = Readonly<Record<string, string | undefined>>;

/** An environment variable, `undefined` when unset or empty. */
export function env(vars: Vars, name: string): string | undefined {
  const v = vars[name];
  return v === undefined || v === '' ? undefined : v;
}

/**
 * Checks the connection options: `--signature`, `--local` against `--endpoint` (`--local` is explicit, so it wins
 * over an `OSS_ENDPOINT` in the environment), an empty endpoint, and the credentials (flags, when the command takes
 * them, or the environment).
 */
export function connectionFrom(
  values: {
    endpoint?: string | undefined;
    local?: boolean | undefined;
    region?: string | undefined;
    signature?: string | undefined;
  },
  vars: Vars,
  flags: { id: string | undefined; secret: string | undefined; token: string | undefined } = {
    id: undefined,
    secret: undefined,
    token: undefined,
  },
): ConnectionArgs {
  let signatureVersion: 'v1' | 'v4' | undefined;
  if (values.signature !== undefined) {
    if (values.signature !== 'v1' && values.signature !== 'v4')
      throw new UsageError(`--signature must be v1 or v4, got ${JSON.stringify(values.signature)}`);
    signatureVersion = values.signature;
  }
  const local = values.local === true;
  if (local && values.endpoint !== undefined) throw new UsageError('--local and --endpoint exclude each other');
  const endpoint = local ? undefined : (values.endpoint ?? env(vars, 'OSS_ENDPOINT'));
  if (endpoint !== undefined && endpoint.trim() === '') throw new UsageError('--endpoint must not be empty');
  return {
    endpoint,
    local,
    region: values.region ?? env(vars, 'OSS_REGION'),
    credentials: credentialsFrom(flags, vars),
    signatureVersion,
  };
}

/**
 * A missing endpoint is never a reason to send the data somewhere that vanishes with the command: a cron job without
 * its environment must fail, not "succeed". Checked last, so every other mistake is reported first.
 */
export function requireEndpoint(c: ConnectionArgs): void {
  if (c.endpoint === undefined && !c.local) throw new UsageError(NO_ENDPOINT);
}

function credentialsFrom(
  flags: { id: string | undefined; secret: string | undefined; token: string | undefined },
  vars: Vars,
): CliCredentials | undefined {
  if (flags.id !== undefined || flags.secret !== undefined) {
    if (flags.id === undefined || flags.secret === undefined)
      throw new UsageError('--access-key-id and --access-key-secret go together');
    return {
      accessKeyId: flags.id,
      accessKeySecret: flags.secret,
      securityToken: flags.token ?? env(vars, 'OSS_SESSION_TOKEN'),
    };
  }
  if (flags.token !== undefined) throw new UsageError('--security-token needs --access-key-id and --access-key-secret');
  const id = env(vars, 'OSS_ACCESS_KEY_ID');
  const secret = env(vars, 'OSS_ACCESS_KEY_SECRET');
  if (id === undefined && secret === undefined) return undefined;
  if (id === undefined || secret === undefined) {
    throw new UsageError(
      `${id === undefined ? 'OSS_ACCESS_KEY_ID' : 'OSS_ACCESS_KEY_SECRET'} is not set (the other one is)`,
    );
  }
  return { accessKeyId: id, accessKeySecret: secret, securityToken: env(vars, 'OSS_SESSION_TOKEN') };
}
