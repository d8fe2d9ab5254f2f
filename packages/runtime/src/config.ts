import { z } from 'zod';
import { Namespace } from '@chat/contracts';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/** What every service reads. Each service extends it with its own variables. */
export const baseConfig = (defaultPort: number) =>
  z.object({
    NATS_URL: z.string().min(1).default('nats://127.0.0.1:4222'),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .default('postgres://postgres@127.0.0.1:5432/chat'),
    CHAT_NAMESPACE: Namespace.default('chat'),
    PORT: port(defaultPort),
    HOST: z.string().min(1).default('127.0.0.1'),
    AUTH_MODE: z.enum(['token', 'open']).default('token'),
    AUTH_SECRET: z.string().optional(),
    /** Copies of the event stream on a NATS cluster (set when the stream is created). */
    STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
    /** When set, the ops servers' /admin routes need `Authorization: Bearer <it>`. */
    OPS_ADMIN_TOKEN: z.string().min(16).optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  });

/**
 * Reads the environment through `schema`. Every bad or missing variable is named, so an
 * operator fixes them all in one go instead of one crash at a time.
 */
export function loadConfig<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const result = schema.safeParse(env);
  const problems = result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`);
  // Token mode signs sessions, so it cannot start without a real secret.
  if ((env.AUTH_MODE ?? 'token') === 'token' && (env.AUTH_SECRET ?? '').length < 32) {
    problems.push('AUTH_SECRET: is required in AUTH_MODE=token and must be at least 32 characters');
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return result.data;
}

export type BaseConfig = z.output<ReturnType<typeof baseConfig>>;
