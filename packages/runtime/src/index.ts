export * from './config.ts';
export * from './logger.ts';
export * from './ops-server.ts';
export * from './lifecycle.ts';
export * from './keyed-lock.ts';
export * from './concurrency-limit.ts';
export { Counter, Gauge, Histogram, type Registry } from 'prom-client';
export * from './boot.ts';
export * from './priority.ts';
