import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** JSON logs; secrets never reach them, whichever object carries them. */
export function createLogger(service: string, level = 'info', destination?: DestinationStream): Logger {
  const options = {
    name: service,
    level,
    // Levels by name ("warn"), as people search for them, not pino's numbers.
    formatters: { level: (label: string) => ({ level: label }) },
    redact: {
      paths: [
        'token',
        '*.token',
        'authorization',
        '*.authorization',
        'headers.authorization',
        'AUTH_SECRET',
        '*.AUTH_SECRET',
        'NATS_PASSWORD',
        '*.NATS_PASSWORD',
        'pass',
        '*.pass',
        'req.query.token',
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
