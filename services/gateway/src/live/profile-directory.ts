import { decodeEvent, type JetStreamManager } from '@chat/bus';
import { type Avatar, type AvatarKind, avatarKind, avatarUrl, defaultAvatarPath, type Subjects, type UserView } from '@chat/contracts';

export interface Profile {
  username: string;
  avatar: string;
  avatar_kind: AvatarKind;
  /** Seq of the event it comes from (0: an unknown user, shown with the defaults). */
  seq: number;
}

export const DIRECTORY_CAPACITY = 100_000;

/**
 * Names and avatars in memory, so a live frame is enriched without a round trip: kept current by
 * the profile events the live feed reads, and filled on a miss from the user's last event in the
 * log (every profile event carries the whole profile), one look-up per user however many ask.
 */
export class ProfileDirectory {
  private readonly profiles = new Map<string, Profile>();
  private readonly loading = new Map<string, Promise<Profile>>();

  constructor(
    private readonly jsm: JetStreamManager,
    private readonly s: Subjects,
    private readonly capacity = DIRECTORY_CAPACITY,
  ) {}

  /** What is known now, without asking the log. */
  peek(userId: string): Profile | undefined {
    return this.profiles.get(userId);
  }

  /** The user's current profile, from memory or from the log. */
  get(userId: string): Profile | Promise<Profile> {
    return this.profiles.get(userId) ?? this.load(userId);
  }

  /** A profile event, in log order: the newest one wins. */
  apply(userId: string, username: string, avatar: Avatar | null, seq: number): Profile {
    const profile: Profile = { username, avatar: avatarUrl(avatar, userId), avatar_kind: avatarKind(avatar), seq };
    this.remember(userId, profile);
    return profile;
  }

  private load(userId: string): Promise<Profile> {
    const inFlight = this.loading.get(userId);
    if (inFlight) return inFlight;
    const loading = (async () => {
      const msg = await this.jsm.direct.getMessage(this.s.stream, { last_by_subj: this.s.events.user(userId) });
      const found = msg ? decodeEvent(msg.seq, msg.data) : null;
      const profile: Profile =
        found && (found.event.type === 'UserRegistered' || found.event.type === 'ProfileUpdated')
          ? {
              username: found.event.data.username,
              avatar: avatarUrl(found.event.data.avatar, userId),
              avatar_kind: avatarKind(found.event.data.avatar),
              seq: found.seq,
            }
          : { username: userId, avatar: defaultAvatarPath(userId), avatar_kind: 'default', seq: 0 };
      // An event the feed applied while we looked is newer than what we found.
      const current = this.profiles.get(userId);
      if (current && current.seq >= profile.seq) return current;
      this.remember(userId, profile);
      return profile;
    })().finally(() => this.loading.delete(userId));
    this.loading.set(userId, loading);
    return loading;
  }

  private remember(userId: string, profile: Profile): void {
    const current = this.profiles.get(userId);
    if (current && current.seq > profile.seq) return;
    this.profiles.delete(userId);
    this.profiles.set(userId, profile);
    if (this.profiles.size > this.capacity) {
      const oldest = this.profiles.keys().next();
      if (!oldest.done) this.profiles.delete(oldest.value);
    }
  }
}

export const userView = (userId: string, p: Profile): UserView => ({ id: userId, username: p.username, avatar: p.avatar, avatar_kind: p.avatar_kind });
