import { Command, CommanderError } from 'commander';
import { AirbyteOutput, check, discover, read, spec } from './protocol/airbyte/commands.js';
import { packageInfo } from './util/paths.js';

/** Runs one command line and resolves to the exit code; output has been flushed by then. */
export async function main(argv: string[]): Promise<number> {
  const out = new AirbyteOutput();
  let code = 0;
  const program = new Command()
    .name('source-kaltura')
    .description(packageInfo.description)
    .version(packageInfo.version)
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stderr.write(s), writeErr: (s) => process.stderr.write(s) });
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
    .description('read the streams of a configured catalog')
    .requiredOption('--config <file>', 'config JSON file')
    .requiredOption('--catalog <file>', 'configured catalog JSON file')
    .option('--state <file>', 'state JSON file: the STATE messages of the previous run')
    .action(async (o: { config: string; catalog: string; state?: string }) => {
      code = await read(out, o);
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
