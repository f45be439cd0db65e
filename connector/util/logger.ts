import { secrets } from './redact.js';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** Where log lines go is the protocol's choice (Airbyte LOG messages, stderr for Singer and cron). */
export type LogTarget = (level: LogLevel, message: string) => void;

export class Logger {
  constructor(private readonly target: LogTarget) {}
  debug(message: string): void {
    this.write('DEBUG', message);
  }
  info(message: string): void {
    this.write('INFO', message);
  }
  warn(message: string): void {
    this.write('WARN', message);
  }
  error(message: string): void {
    this.write('ERROR', message);
  }
  private write(level: LogLevel, message: string): void {
    this.target(level, secrets.redact(message));
  }
}

export const stderrLogger = new Logger((level, message) => process.stderr.write(`${new Date().toISOString()} ${level} ${message}\n`));
