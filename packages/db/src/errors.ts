/**
 * Whether a Postgres failure says "not now" (the server is down, restarting, overloaded, or a lock
 * or statement timed out) rather than "never" (this row cannot be written: bad data, a violated
 * constraint). The writer waits out the first kind for as long as it lasts; the second kind, after
 * a bounded retry, sends the event to the dead letters.
 */
export function isTransientDbError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    // 08 connection exception, 53 insufficient resources, 57 operator intervention (shutdown,
    // statement timeout), 58 system error; serialization failure, deadlock, lock not available.
    return /^(08|53|57|58)/.test(code) || code === '40001' || code === '40P01' || code === '55P03';
  }
  // Node's own network errors: the server's name not resolving (a container restarting), or a
  // refusal on every address it resolves to (an AggregateError, with an empty message).
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  const text = String((err as Error)?.message ?? err);
  return /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|Connection terminated|connection error|timeout exceeded|terminating connection|the database system is/i.test(
    text,
  );
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
