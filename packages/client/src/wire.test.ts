import * as contracts from '@chat/contracts';
import { CloseCode as ContractCloseCode } from '@chat/contracts/close-codes';
import { describe, expect, it } from 'vitest';
import * as wire from './wire.ts';

// Compile-time: each of the SDK's own copies of the API's types is exactly the contracts' type
// (`pnpm typecheck` fails on the first difference, in either direction).
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Assert<T extends true> = T;
export type WireMatchesContracts = [
  Assert<Equal<wire.UserView, contracts.UserView>>,
  Assert<Equal<wire.MessageView, contracts.MessageView>>,
  Assert<Equal<wire.RoomView, contracts.RoomView>>,
  Assert<Equal<wire.MyRoomView, contracts.MyRoomView>>,
  Assert<Equal<wire.MemberView, contracts.MemberView>>,
  Assert<Equal<wire.InvitationView, contracts.InvitationView>>,
  Assert<Equal<wire.RegisterResponse, contracts.RegisterResponse>>,
  Assert<Equal<wire.HistoryParams, contracts.HistoryParams>>,
  Assert<Equal<wire.MembershipResponse, contracts.MembershipResponse>>,
  Assert<Equal<wire.PostAccepted, contracts.PostAccepted>>,
  Assert<Equal<wire.PresenceResponse, contracts.PresenceResponse>>,
  Assert<Equal<wire.ServerFrame, contracts.ServerFrame>>,
  Assert<Equal<wire.MuxClientFrame, contracts.MuxClientFrame>>,
  Assert<Equal<Required<wire.RegisterRequest>, Required<contracts.RegisterRequest>>>,
  Assert<Equal<Required<wire.PatchUserRequest>, Required<contracts.PatchUserRequest>>>,
  Assert<Equal<Required<wire.CreateRoomRequest>, Required<contracts.CreateRoomRequest>>>,
];

describe('the SDK’s copy of the API’s shapes', () => {
  it('has the contracts’ close codes and default avatar path', () => {
    expect(wire.CloseCode).toEqual(ContractCloseCode);
    expect(wire.defaultAvatar('u-1')).toBe(contracts.defaultAvatarPath('u-1'));
  });

  it('parses what the contracts’ schemas accept, frame by frame', () => {
    const frame: wire.ServerFrame = { type: 'subscribed', room_id: 'r1', cursor: 3 };
    expect(contracts.ServerFrame.parse(frame)).toEqual(frame);
    const sub: wire.MuxClientFrame = { type: 'subscribe', room_id: 'r1', since: 2 };
    expect(contracts.MuxClientFrame.parse(sub)).toEqual(sub);
  });
});
