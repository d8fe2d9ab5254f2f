import { Backoff, RECONNECT_BACKOFF } from './backoff.ts';
import type { PostResult } from './client.ts';
import { ApiError, sleep } from './http.ts';

interface ConnectionLike {
  readonly state: string;
  readonly connectedSignal: AbortSignal;
  whenConnected(signal?: AbortSignal): Promise<void>;
  nextConnected(signal?: AbortSignal): Promise<void>;
}

/**
 * Posts once connected, and again after every failure that trying again could fix (no answer, the
 * gateway restarting, 5xx, 429): as soon as the connection is back, or after a backoff while it
 * stays up. The caller's `post` carries one `client_msg_id`, so however many tries it takes, the
 * server stores one message. Posts go over HTTP, not the socket: an HTTP answer says what became
 * of this message (stored, or refused and why); an error frame on the socket names no message.
 */
export async function deliverPost(post: (signal: AbortSignal) => Promise<PostResult>, connection: ConnectionLike, signal: AbortSignal): Promise<PostResult> {
  const backoff = new Backoff(RECONNECT_BACKOFF);
  for (;;) {
    await connection.whenConnected(signal);
    // A try made while connected is given up when the connection is lost, and made again after.
    const attempt = AbortSignal.any([signal, connection.connectedSignal]);
    try {
      return await post(attempt);
    } catch (err) {
      if (signal.aborted) throw signal.reason ?? err;
      if (!attempt.aborted && (!(err instanceof ApiError) || !err.retryable)) throw err;
    }
    // Whichever comes first: the connection coming back, or the backoff while it stays up.
    const waiting = new AbortController();
    const both = AbortSignal.any([signal, waiting.signal]);
    await Promise.race([sleep(backoff.next(), both), connection.nextConnected(both)]).catch(() => undefined);
    waiting.abort();
    if (signal.aborted) throw signal.reason ?? new ApiError(0, 'closed', 'aborted');
  }
}
