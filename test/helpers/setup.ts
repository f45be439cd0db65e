import { startEmulator, type Emulator, type EmulatorOptions } from '../../fixtures/emulator/index.js';
import { tempDir, writeJson } from './cli.js';
import { findStream } from '../../connector/streams/index.js';

export interface Fixture {
  emulator: Emulator;
  dir: string;
  /** Writes a config for one of the emulator's tokens (default `admin`) and returns its path. */
  config(token?: string, extra?: Record<string, unknown>): string;
  /** Writes a configured catalog for the given streams and returns its path. */
  catalog(streams: Array<[string, 'full_refresh' | 'incremental']>): string;
  write(name: string, value: unknown): string;
  close(): Promise<void>;
}

export async function startFixture(options: EmulatorOptions = {}): Promise<Fixture> {
  const emulator = await startEmulator(options);
  const dir = tempDir();
  let n = 0;
  return {
    emulator,
    dir,
    config(token = 'admin', extra = {}) {
      const t = emulator.tokens[token];
      if (!t) throw new Error(`the emulator has no token ${token}`);
      return writeJson(dir, `config-${++n}.json`, {
        service_url: emulator.url,
        partner_id: t.partnerId,
        app_token_id: t.id,
        app_token: t.token,
        hash_type: t.hashType,
        ...extra,
      });
    },
    catalog(streams) {
      return writeJson(dir, `catalog-${++n}.json`, {
        // As a platform would configure them: each stream's own key and cursor (an unknown name
        // is kept, for the tests of catalogs that name one).
        streams: streams.map(([name, mode]) => {
          const def = findStream(name);
          return {
            stream: { name, json_schema: {}, supported_sync_modes: ['full_refresh', 'incremental'] },
            sync_mode: mode,
            destination_sync_mode: mode === 'incremental' ? 'append_dedup' : 'overwrite',
            ...(mode === 'incremental' ? { cursor_field: [def?.cursorField ?? 'updatedAt'] } : {}),
            primary_key: def?.primaryKey ?? [['id']],
          };
        }),
      });
    },
    write(name, value) {
      return writeJson(dir, name, value);
    },
    close: () => emulator.close(),
  };
}
