// One contender of the lock race (test/cron/lock.test.ts): says "ready", waits for "go" on stdin,
// tries the lock, says whether it got it, and holds it until stdin closes.
import { LockFile } from '../../connector/sinks/lockFile.js';

const path = process.argv[2];
// `node --test dist/test/` runs every file under test/, this one too, without a lock path: nothing to race for.
if (path !== undefined) contend(path);

function contend(path: string): void {
  process.stdout.write('ready\n');
  process.stdin.once('data', () => {
    void LockFile.acquire(path).then(
      (lock) => {
        process.stdout.write(lock instanceof LockFile ? 'acquired\n' : `held by ${lock.holder}\n`);
        process.stdin.once('end', () => {
          void (lock instanceof LockFile ? lock.release() : Promise.resolve()).then(() => process.exit(0));
        });
        process.stdin.resume();
      },
      (err: Error) => {
        process.stdout.write(`error ${err.message}\n`);
        process.exit(1);
      },
    );
  });
}
