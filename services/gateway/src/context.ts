import { call, type NatsConnection } from '@chat/bus';
import { AppError, type AvatarInput, type MessageState, type MessageView, type Rpc, type RpcName, type Subjects } from '@chat/contracts';
import { ConcurrencyLimit, type Logger } from '@chat/runtime';
import type { AvatarHint } from './avatar-hints.ts';
import type { z } from 'zod';
import type { AvatarUploads } from './avatar-uploads.ts';
import { type Admission, OpenAdmission, TokenAdmission } from './edge/admission.ts';
import type { Authenticator } from './edge/authenticators.ts';
import { Allowances, type RateLimits } from './limits.ts';
import type { OriginPolicy } from './origins.ts';

/** Socket set-up requests (admission, the cursor, history pages to replay) in flight at once. */
export const SOCKET_SETUP_IN_FLIGHT = 64;

/**
 * What routes need of the live side: how far each room's log goes (so a read reflects the writes
 * a client has seen) and views of messages fresh from the room service, enriched at once.
 */
export interface LiveState {
  /**
   * The seq a read of this room must reflect: its last event in the log (a write through another
   * gateway counts, though this one's feed may not have read it yet), or as far as this gateway
   * knows when the log cannot say.
   */
  head(roomId: string): Promise<number>;
  /** What a read across rooms must reflect: every event that reached this gateway, and its own writes. */
  position(): number;
  /** A write through this gateway that appended `seq` to the room's log. */
  noteWrite(roomId: string, seq: number): void;
  /** A profile change through this gateway, appended at `seq` (it shows in every room's history). */
  noteProfile(seq: number): void;
  /** Any other write through this gateway (a read marker): reads across rooms wait for it. */
  noteOwnWrite(seq: number): void;
  /** The whole view of a message the room service answered with; `changedSeq`: its last change's seq, if it changed since its post. */
  messageView(state: MessageState, changedSeq?: number): Promise<MessageView>;
}

/** What every route needs: how to reach the services, who is asking, and who gets in. */
export class GatewayContext {
  readonly allowances: Allowances;
  /**
   * Socket set-up goes through here: a reconnect storm of thousands of sockets then reaches the
   * services as fast as they answer, rather than all at once with most of it timing out.
   */
  readonly socketSetup = new ConcurrencyLimit(SOCKET_SETUP_IN_FLIGHT);
  readonly admission: Admission;

  constructor(
    readonly nc: NatsConnection,
    readonly s: Subjects,
    readonly auth: Authenticator,
    readonly origins: OriginPolicy,
    readonly log: Logger,
    readonly uploads: AvatarUploads,
    limits: RateLimits,
    readonly live: LiveState,
  ) {
    this.allowances = new Allowances(limits);
    this.admission = auth.mode === 'token' ? new TokenAdmission(this) : new OpenAdmission(this);
  }

  /** Posts share one allowance per user, whether they come over REST or a socket. */
  checkPost(userId: string): void {
    const now = Date.now();
    if (this.allowances.of(userId, now).post(now) !== 'ok') throw new AppError('rate_limited', 'too many messages; slow down', { retry_after: 1 });
  }

  call<N extends RpcName>(
    name: N,
    request: z.input<(typeof Rpc)[N]['request']>,
    correlationId?: string,
    timeoutMs?: number,
  ): Promise<z.output<(typeof Rpc)[N]['reply']>> {
    return call(this.nc, this.s, name, request, { correlationId, timeoutMs });
  }

  /** Runs `use` with the avatar a command should carry: an uploaded picture is staged for it first. */
  withAvatar<T>(hint: AvatarHint | undefined, use: (avatar: AvatarInput | undefined) => Promise<T>, signal?: AbortSignal): Promise<T> {
    return hint?.kind === 'bytes' ? this.uploads.with(hint.bytes, use, signal) : use(hint);
  }
}
