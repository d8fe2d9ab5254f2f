export * from './database.ts';
export { isTransientDbError } from './errors.ts';
export { sql, type Kysely, type Transaction } from 'kysely';
