import type { AvatarSize } from '@chat/contracts';
import type { Kysely } from 'kysely';
import type { NormalisedAvatar } from '../avatars/avatar-normaliser.ts';
import type { Database } from './schema.ts';

/** The stored avatar images. Content-addressed, so saving the same picture twice stores it once. */
export const avatarStore = Object.freeze({
  async save(db: Kysely<Database>, avatar: NormalisedAvatar): Promise<void> {
    await db
      .insertInto('profile.avatars')
      .values({ key: avatar.key, size_256: avatar.size256, size_64: avatar.size64 })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
  },

  async load(db: Kysely<Database>, key: string, size: AvatarSize): Promise<Buffer | undefined> {
    const column = size === 256 ? 'size_256' : 'size_64';
    const row = await db.selectFrom('profile.avatars').select(column).where('key', '=', key).executeTakeFirst();
    return row?.[column];
  },
});
