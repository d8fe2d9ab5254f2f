// The one place the NATS client libraries are imported. Every other package takes what it needs
// of NATS from `@chat/bus`, so a client upgrade touches this package only.
export { connect } from '@nats-io/transport-node';
export {
  headers,
  nuid,
  NoRespondersError,
  PermissionViolationError,
  RequestError,
  TimeoutError,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type QueuedIterator,
  type Status,
  type Subscription,
} from '@nats-io/nats-core';
export {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiError,
  JetStreamError,
  RetentionPolicy,
  StorageType,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type DirectMsgRequest,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type PubAck,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
export { Kvm, type KV, type KvEntry, type KvWatchEntry } from '@nats-io/kv';
export { Objm, type ObjectStore } from '@nats-io/obj';
