import { AppError, isAppError } from '@chat/contracts';
import { JetStreamApiError, JetStreamError, PermissionViolationError, RequestError, TimeoutError } from './nats.ts';

/**
 * Whether an error from NATS says "not now" rather than "never": a timeout, no responder (a
 * stream leader being elected, a service restarting), a JetStream 503, a connection that is
 * reconnecting. Such failures reach clients as 503 with Retry-After, never as 500.
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof TimeoutError) return true;
  if (err instanceof RequestError) return err.isNoResponders() || err.cause instanceof TimeoutError;
  if (err instanceof JetStreamApiError) return err.status === 503 || err.status === 408;
  // JetStream reports "no responders" on publish as "not enabled"; cluster leader changes as plain errors.
  if (err instanceof JetStreamError) return true;
  const text = String((err as Error)?.message ?? err);
  return /timeout|no responders|not enabled|temporarily unavailable|leader|disconnect|reconnect|connection closed|draining/i.test(text);
}

/** The error to throw on: an AppError as it is; a transient NATS failure as `unavailable`; else unchanged. */
export function transientAsUnavailable(err: unknown, what: string): unknown {
  if (isAppError(err)) return err;
  if (isTransient(err)) return new AppError('unavailable', `${what} is not answering right now; try again`);
  return err;
}

/**
 * Whether NATS refused an operation because this connection's user may not do it (a publish or
 * subscribe outside its permissions). Never transient: the same user will be refused again.
 */
export function isPermissionDenied(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof PermissionViolationError) return true;
    if (/permissions violation/i.test(String((e as Error)?.message ?? e))) return true;
  }
  return false;
}
