// No zod here: browser code imports this file alone (`@chat/contracts/close-codes`), so a web
// bundle gets the constants without the schemas.

/** Close codes a client can act on. */
export const CloseCode = {
  normal: 1000,
  /** The gateway is stopping: reconnect (elsewhere) and resume. */
  goingAway: 1001,
  /** Flooding past the rate limit. */
  policy: 1008,
  tooBig: 1009,
  /** The socket fell too far behind: reconnect with `since=<cursor>`; nothing is lost. */
  tryAgainLater: 1013,
  /** No longer a member of the room (left, or removed): do not reconnect. */
  notMember: 4403,
} as const;
