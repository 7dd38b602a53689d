// Column helpers shared by the SQLite (edge) tenant tables in src/schema/sqlite/: how instants, business
// dates, booleans and 64-bit integers are stored in SQLite.
import { integer, text } from 'drizzle-orm/sqlite-core';

export const instant = (name: string) => text(name);
export const boolean = (name: string) => integer(name, { mode: 'boolean' });
export const int64 = (name: string) => integer(name);
export const businessDate = (name: string) => text(name);
