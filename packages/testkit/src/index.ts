export * from './env.ts';
export * from './wait.ts';
