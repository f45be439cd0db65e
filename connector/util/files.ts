import { readFile } from 'node:fs/promises';
import { ConnectorError } from '../kaltura/errors.js';

/** Reads a JSON file the user handed us; a missing or malformed file is their config error, said plainly. */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${code ?? 'error'})`;
    throw new ConnectorError('config_error', `The ${what} file ${path} ${why}.`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConnectorError('config_error', `The ${what} file ${path} is not valid JSON: ${(err as Error).message}. Fix the file and run again.`);
  }
}
