export * from './connect.ts';
export * from './stream.ts';
export * from './event-store.ts';
export * from './rpc.ts';
export * from './aggregate-repository.ts';
export * from './presence-bucket.ts';
export * from './uploads.ts';
export { nuid } from 'nats';
