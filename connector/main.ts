import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { cronRead } from './cron/read.js';
import { AirbyteOutput, check, discover, read, spec } from './protocol/airbyte/commands.js';
import { parseStreamsFlag, type RequestedStream } from './protocol/selections.js';
import { about, singerDiscover, singerSync, tapName } from './protocol/singer/commands.js';
import { outputFormats, type OutputFormat } from './sinks/recordFile.js';
import { watchStdio } from './util/exit.js';
import { exitCodes } from './util/exitCodes.js';
import { stderrLogger } from './util/logger.js';
import { packageInfo } from './util/paths.js';

/**
 * One program, three ways to run it:
 * - Airbyte: a subcommand (`spec`, `check`, `discover`, `read --catalog`), messages on stdout;
 * - cron: `read --output csv|jsonl --output-dir DIR [--state-file FILE]`, files and a state file;
 * - Singer: top-level flags (`--config`, `--discover`, `--catalog`/`--properties`, `--state`,
 *   `--about`), as Meltano calls a tap; the `tap-kaltura` bin always speaks Singer.
 */
export interface MainOptions {
  /** Set by the `tap-kaltura` bin. */
  protocol?: 'singer';
}

const airbyteCommands = new Set(['spec', 'check', 'discover', 'read', 'help']);
const singerFlags = new Set(['--config', '--discover', '--catalog', '--properties', '--state', '--about', '--format', '--streams']);

/** Runs one command line and resolves to the exit code; output has been flushed by then. */
export async function main(argv: string[], options: MainOptions = {}): Promise<number> {
  watchStdio(options.protocol === 'singer' ? tapName : packageInfo.name);
  const first = argv[0];
  const subcommand = first !== undefined && airbyteCommands.has(first);
  if (!subcommand && (argv.includes('--version') || argv.includes('-V'))) {
    process.stdout.write(`${options.protocol === 'singer' ? tapName : packageInfo.name} ${packageInfo.version}\n`);
    return 0;
  }
  const singer = options.protocol === 'singer' || (!subcommand && argv.some((a) => singerFlags.has(a.split('=')[0]!)));
  return singer ? singerMain(argv, options.protocol === 'singer' ? tapName : packageInfo.name) : airbyteMain(argv);
}

async function airbyteMain(argv: string[]): Promise<number> {
  const out = new AirbyteOutput();
  let code = 0;
  const program = new Command()
    .name(packageInfo.name)
    .description(packageInfo.description)
    .version(packageInfo.version)
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stderr.write(s), writeErr: (s) => process.stderr.write(s) })
    .addHelpText('after', helpAfter);
  program.command('spec').description('print the connection specification').action(async () => {
    code = await spec(out);
  });
  program
    .command('check')
    .description('log in and try one request per stream')
    .requiredOption('--config <file>', 'config JSON file')
    .action(async (o: { config: string }) => {
      code = await check(out, o.config);
    });
  program
    .command('discover')
    .description('print the catalog of streams')
    .requiredOption('--config <file>', 'config JSON file')
    .action(async (o: { config: string }) => {
      code = await discover(out, o.config);
    });
  program
    .command('read')
    .description('read the streams of a configured catalog (Airbyte), or with --output every stream into files (cron)')
    .requiredOption('--config <file>', 'config JSON file')
    .option('--catalog <file>', 'configured catalog JSON file (required for Airbyte; with --output optional, an Airbyte or Singer catalog)')
    .option('--state <file>', 'state JSON file: the STATE messages of the previous run (Airbyte)')
    .addOption(new Option('--output <format>', 'write one file per stream instead of Airbyte messages (cron)').choices([...outputFormats]))
    .option('--output-dir <dir>', 'with --output: the directory the files go to (created if missing)')
    .option('--state-file <file>', 'with --output: state file read at the start and replaced as streams complete')
    .option('--streams <names>', 'with --output: read only these streams, e.g. media,categories:full_refresh (instead of --catalog)', streamsFlag)
    .option('--progress-interval <seconds>', `with --output: seconds between progress lines when stderr is not a terminal (default 10; 0: every page; at most ${maxProgressSeconds})`, seconds)
    .addHelpText('after', readHelpAfter)
    .action(async function (this: Command, o: ReadFlags) {
      if (o.output) {
        if (o.state) this.error(`error: --state is the Airbyte state; with --output use --state-file <file>`, { exitCode: exitCodes.badInput });
        if (!o.outputDir) this.error(`error: required option '--output-dir <dir>' not specified (--output writes files into it)`, { exitCode: exitCodes.badInput });
        if (o.streams && o.catalog) this.error(`error: give --streams or --catalog, not both`, { exitCode: exitCodes.badInput });
        code = await cronRead({ config: o.config, catalog: o.catalog, streams: o.streams, output: o.output, outputDir: o.outputDir!, stateFile: o.stateFile, progressIntervalSeconds: o.progressInterval });
        return;
      }
      const cronOnly = [o.outputDir && '--output-dir', o.stateFile && '--state-file', o.streams && '--streams', o.progressInterval !== undefined && '--progress-interval'].filter(Boolean);
      if (cronOnly.length > 0) this.error(`error: ${cronOnly.join(', ')} only go with --output csv|jsonl`, { exitCode: exitCodes.badInput });
      if (!o.catalog) this.error(`error: required option '--catalog <file>' not specified (or give --output csv|jsonl to write files)`, { exitCode: exitCodes.badInput });
      code = await read(out, { config: o.config, catalog: o.catalog!, state: o.state });
    });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  await out.flush();
  return code;
}

interface ReadFlags {
  config: string;
  catalog?: string;
  state?: string;
  output?: OutputFormat;
  outputDir?: string;
  stateFile?: string;
  streams?: RequestedStream[];
  progressInterval?: number;
}

interface SingerFlags {
  config?: string;
  discover?: boolean;
  catalog?: string;
  properties?: string;
  state?: string;
  about?: boolean;
  format?: 'json' | 'text';
  streams?: RequestedStream[];
}

async function singerMain(argv: string[], name: string): Promise<number> {
  let code = 0;
  const program = new Command()
    .name(name)
    .description(`Singer tap for Kaltura: ${packageInfo.description}`)
    .option('--config <file>', 'config JSON file (the same keys as the Airbyte config)')
    .option('--discover', 'print the catalog of streams, with metadata')
    .option('--catalog <file>', 'catalog whose selected streams are read (as --discover prints it, with "selected": true)')
    .option('--properties <file>', 'older name of --catalog')
    .option('--state <file>', 'state of a previous run: {"bookmarks": {...}} (or a STATE message\'s value)')
    .option('--streams <names>', 'read only these streams, e.g. media,categories:full_refresh (instead of --catalog)', streamsFlag)
    .option('--about', 'print what this tap is: name, version, capabilities, settings')
    .addOption(new Option('--format <format>', 'with --about: the output form').choices(['json', 'text']).default('text'))
    .version(packageInfo.version)
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stderr.write(s), writeErr: (s) => process.stderr.write(s) })
    .addHelpText('after', singerHelpAfter)
    .action(async function (this: Command, o: SingerFlags) {
      if (o.about) {
        process.stdout.write(about(o.format ?? 'text'));
        return;
      }
      if (this.getOptionValueSource('format') === 'cli') this.error('error: --format goes with --about', { exitCode: exitCodes.badInput });
      if (!o.config) this.error(`error: required option '--config <file>' not specified`, { exitCode: exitCodes.badInput });
      if (o.discover) {
        code = await singerDiscover(o.config!);
        return;
      }
      if (o.catalog && o.properties) stderrLogger.warn('Both --catalog and --properties were given; reading with --catalog');
      if (o.streams && (o.catalog || o.properties)) this.error(`error: give --streams or --catalog, not both`, { exitCode: exitCodes.badInput });
      code = await singerSync({ config: o.config!, catalog: o.catalog ?? o.properties, state: o.state, streams: o.streams });
    });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : exitCodes.badInput;
    throw err;
  }
  return code;
}

/** A day: beyond it a progress line is no progress line, and Node's timers stop at ~24.8 days. */
const maxProgressSeconds = 86_400;

function seconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > maxProgressSeconds) throw new InvalidArgumentError(`a number of seconds from 0 to ${maxProgressSeconds}`);
  return n;
}

function streamsFlag(value: string): RequestedStream[] {
  try {
    return parseStreamsFlag(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

const readHelpAfter = `
Airbyte:  read --config config.json --catalog catalog.json [--state state.json]
Cron:     read --config config.json --output csv|jsonl --output-dir DIR [--state-file state.json]
               [--streams media,categories:full_refresh | --catalog catalog.json]
          Without --streams or --catalog every stream is read, incrementally where it can be.
          Files: <stream>-<UTC start>-p<partner id>-<run id>.<csv|jsonl>. Exit codes: 0 every stream
          read; 1 a stream failed (named on stderr); 2 bad input or usage, nothing read; 3 the output
          could not be written (disk full); 141 stderr was closed (the run stopped, files removed).`;

const helpAfter = `
Airbyte (messages on stdout):
  spec | check --config F | discover --config F | read --config F --catalog F [--state F]

Cron (files and a state file):
  read --config config.json --output csv|jsonl --output-dir DIR --state-file state.json [--streams media,categories]

Singer / Meltano (also the tap-kaltura command):
  --config F --discover              print the catalog
  --config F [--catalog F | --streams media,users] [--state F]   read the selected streams
  --about [--format json]            name, version, capabilities, settings
  --version                          print the version`;

const singerHelpAfter = `
Examples:
  ${tapName} --config config.json --discover > catalog.json
  ${tapName} --config config.json --catalog catalog.json --state state.json
  ${tapName} --about --format json

Exit codes: 0 success; 1 a stream failed (named on stderr); 2 bad input or usage, nothing read;
141 stdout was closed (| head): the run stopped there.`;
