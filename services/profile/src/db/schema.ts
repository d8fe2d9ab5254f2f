import type { Generated, Selectable } from 'kysely';

export const SCHEMA = 'profile';

/** Normalised avatar images, content-addressed: a key is the sha256 of `size_256`. Never deleted. */
export interface AvatarTable {
  key: string;
  size_256: Buffer;
  size_64: Buffer;
  created_at: Generated<Date>;
}

export interface Database {
  'profile.avatars': AvatarTable;
}

export type AvatarRow = Selectable<AvatarTable>;
