import { z } from 'zod';

/**
 * Every id ends up as a NATS subject token, so it must never contain what NATS reads as
 * structure (`.`, `*`, `>`, whitespace). One rule for rooms, users, messages and client ids.
 */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const Id = z.string().regex(ID_PATTERN, 'must be 1-64 characters of A-Z, a-z, 0-9, _ or -');

export const RoomId = Id.describe('room id');
export const UserId = Id.describe('user id');
export const MessageId = Id.describe('message id');
export const ClientMsgId = Id.describe('client message id');

export type RoomId = z.infer<typeof RoomId>;
export type UserId = z.infer<typeof UserId>;

export const isValidId = (value: string): boolean => ID_PATTERN.test(value);

/** A stream sequence: the global position of an event, used as the cursor everywhere. */
export const Seq = z.number().int().nonnegative();
