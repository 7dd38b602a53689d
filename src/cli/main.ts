// The `modernpos` entry: parses the command line and hands off to the cloud or the edge commands.
// The composition root: the one place in src/ allowed to import cloud/ and edge/.

import packageJson from '../../package.json' with { type: 'json' };
import { isAppError } from '../errors.ts';
import { parseCommandLine, usage } from './args.ts';
import { type CliIO, EXIT, processIO } from './io.ts';

const VERSION = `modernpos ${packageJson.version}`;

export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  let verbose = argv.includes('--verbose');
  try {
    const args = parseCommandLine(argv);
    verbose = args.flags.verbose === true;
    const [command] = args.positionals;
    if (args.flags.version) {
      io.out(VERSION);
      return EXIT.ok;
    }
    if (args.flags.help) {
      io.out(usage);
      return EXIT.ok;
    }
    if (!command) {
      io.err(usage);
      return EXIT.usage;
    }
    const code =
      command === 'edge'
        ? await (await import('../../edge/cli/commands.ts')).runEdgeCommand(args, io)
        : command === 'dev'
          ? await (await import('./dev.ts')).runDev(args, io)
          : await (await import('../../cloud/cli/commands.ts')).runCloudCommand(args, io);
    if (code === undefined) {
      io.err(
        `modernpos: unknown command ${JSON.stringify(args.positionals.join(' '))}; see modernpos --help`,
      );
      return EXIT.usage;
    }
    return code;
  } catch (err) {
    if (isAppError(err)) {
      io.err(`modernpos: ${err.message}`);
      if (verbose && err.details !== undefined) io.err(JSON.stringify(err.details, null, 2));
      return err.exitCode;
    }
    io.err(`modernpos: ${err instanceof Error ? err.message : String(err)}`);
    if (verbose && err instanceof Error && err.stack) io.err(err.stack);
    return EXIT.failure;
  }
}
