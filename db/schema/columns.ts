/** Column builders the tables share. */
import { uuid } from 'drizzle-orm/pg-core';

/** A table's own id: a random UUID, the primary key. */
export const uuidKey = () => uuid().primaryKey().defaultRandom();
