export * from './database.ts';
export { sql, type Kysely, type Transaction } from 'kysely';
