import { z } from 'zod';
import { Namespace } from '@chat/contracts';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
/** An empty variable (as compose passes an unset one) counts as unset. */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

/** `AUTH_SECRET` fields whose schema signs session tokens (see `baseConfig`'s `signsTokens`). */
const secretNeededInTokenMode = new WeakSet<z.ZodType>();

export interface BaseConfigOptions {
  /**
   * The service signs or verifies session tokens (the gateway): in `AUTH_MODE=token` it cannot
   * start without an `AUTH_SECRET` of at least 32 characters. Other services never see a token,
   * so they neither need the secret nor should be given it.
   */
  signsTokens?: boolean;
}

/** What every service reads. Each service extends it with its own variables. */
export const baseConfig = (defaultPort: number, options: BaseConfigOptions = {}) => {
  const authSecret = z.string().optional();
  if (options.signsTokens) secretNeededInTokenMode.add(authSecret);
  return z.object({
    NATS_URL: z.string().min(1).default('nats://127.0.0.1:4222'),
    /**
     * The service's own NATS user and password (infra/nats/auth.conf gives each service one, with
     * only the subjects it needs). Both unset: connect without authentication (local development).
     */
    NATS_USER: optional(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -')),
    NATS_PASSWORD: optional(z.string()),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .default('postgres://postgres@127.0.0.1:5432/chat'),
    CHAT_NAMESPACE: Namespace.default('chat'),
    PORT: port(defaultPort),
    HOST: z.string().min(1).default('127.0.0.1'),
    AUTH_MODE: z.enum(['token', 'open']).default('token'),
    AUTH_SECRET: authSecret,
    /** Copies of the event stream on a NATS cluster (set when the stream is created). */
    STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
    /** When set, the ops servers' /admin routes need `Authorization: Bearer <it>`. */
    OPS_ADMIN_TOKEN: z.string().min(16).optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  });
};

/**
 * Reads the environment through `schema`. Every bad or missing variable is named, so an
 * operator fixes them all in one go instead of one crash at a time.
 */
export function loadConfig<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const result = schema.safeParse(env);
  const problems = result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`);
  // A service that signs sessions cannot start in token mode without a real secret.
  const secretField = schema.shape.AUTH_SECRET as z.ZodType | undefined;
  const needsSecret = secretField !== undefined && secretNeededInTokenMode.has(secretField);
  if (needsSecret && (env.AUTH_MODE ?? 'token') === 'token' && (env.AUTH_SECRET ?? '').length < 32) {
    problems.push('AUTH_SECRET: is required in AUTH_MODE=token and must be at least 32 characters');
  }
  if (Boolean(env.NATS_USER) !== Boolean(env.NATS_PASSWORD)) {
    problems.push('NATS_USER, NATS_PASSWORD: set both (the service authenticates to NATS) or neither (no authentication)');
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return result.data;
}

export type BaseConfig = z.output<ReturnType<typeof baseConfig>>;
