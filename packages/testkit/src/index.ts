export * from './env.ts';
export * from './wait.ts';
export * from './images.ts';
export * from './ports.ts';
