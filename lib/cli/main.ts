/**
 * The `oss-stream` command. Subcommands are loaded lazily so `oss-stream --help` starts fast.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const USAGE = `Usage: oss-stream <command> [options]

Commands:
  demo    upload a generated 256 MiB log to the embedded local server, with progress, and verify it
  serve   start the local OSS-compatible server (oss-stream serve --help)
  cp      upload a file (resumable) or stdin to oss://bucket/key, or --append to it (oss-stream cp --help)
  ship    follow log files and ship their lines into rolling objects, exactly once (oss-stream ship --help)

Options:
  -h, --help     this help
  --version      the version of oss-stream

Exit codes: 0 ok, 1 failure, 2 usage error, 130 interrupted (SIGINT), 143 terminated (SIGTERM).`;

/**
 * This package's version, from its package.json: next to `dist/` when installed, two levels up from `lib/cli/` in
 * the repository (the walk stops at the first package.json named oss-stream).
 */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'oss-stream' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not here: one level up
    }
  }
  return 'unknown';
}

/** Runs the CLI with `argv` (without node and script) and resolves to the exit code. */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    case '--version':
      process.stdout.write(`oss-stream ${packageVersion()}\n`);
      return 0;
    case 'demo': {
      const { demoMain } = await import('./demo.js');
      return demoMain(rest);
    }
    case 'serve': {
      const { serveMain, SERVE_USAGE } = await import('../server/cli-serve.js');
      try {
        await serveMain(rest);
        return 0;
      } catch (err) {
        const usage =
          err instanceof TypeError || (err as { code?: string } | null)?.code?.startsWith('ERR_PARSE_ARGS') === true;
        process.stderr.write(
          `oss-stream serve: ${err instanceof Error ? err.message : String(err)}\n${usage ? `${SERVE_USAGE}\n` : ''}`,
        );
        return usage ? 2 : 1;
      }
    }
    case 'cp': {
      const { cpMain } = await import('./cp.js');
      return cpMain(rest);
    }
    case 'ship': {
      const { shipMain } = await import('./ship.js');
      return shipMain(rest);
    }
    default:
      process.stderr.write(`oss-stream: unknown command '${command}'\n${USAGE}\n`);
      return 2;
  }
}

// Run when executed directly (bundled bin or `node --import tsx lib/cli/main.ts`).
const invokedPath = process.argv[1];
if (
  invokedPath !== undefined &&
  (invokedPath === fileURLToPath(import.meta.url) || /(?:^|[\\/])(?:cli\.js|main\.ts|oss-stream)$/.test(invokedPath))
) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`oss-stream: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
