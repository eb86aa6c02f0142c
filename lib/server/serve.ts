/**
 * Runnable entry of the local server: `node --import tsx lib/server/serve.ts --port 9000 --bucket demo`.
 * Exit codes: 0 after a clean stop, 2 on a usage error, 1 on any other failure.
 */
import { SERVE_USAGE, serveMain } from './cli-serve.js';

serveMain(process.argv.slice(2)).then(
  () => {
    process.exitCode = 0;
  },
  (err: unknown) => {
    const usage =
      err instanceof TypeError || (err as { code?: string } | null)?.code?.startsWith('ERR_PARSE_ARGS') === true;
    process.stderr.write(
      `oss-stream serve: ${err instanceof Error ? err.message : String(err)}\n${usage ? `${SERVE_USAGE}\n` : ''}`,
    );
    process.exitCode = usage ? 2 : 1;
  },
);
