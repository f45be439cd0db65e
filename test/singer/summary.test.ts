import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closableLogger } from '../../connector/protocol/singer/commands.js';
import { Logger } from '../../connector/util/logger.js';

test('the Singer run log passes every level on until it is closed for the summary, then drops late lines', () => {
  const lines: string[] = [];
  const base = new Logger((level, message) => lines.push(`${level} ${message}`));
  const run = closableLogger(base);
  run.log.debug('d');
  run.log.info('i');
  run.log.warn('w');
  run.log.error('media: failed');
  run.close();
  base.info('Sync finished: media: 3; failed streams: media');
  run.log.warn('media: retrying a request of another window');
  run.log.error('late');
  assert.deepEqual(lines, ['DEBUG d', 'INFO i', 'WARN w', 'ERROR media: failed', 'INFO Sync finished: media: 3; failed streams: media']);
});
