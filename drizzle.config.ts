import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema/index.ts',
  out: './db/migrations',
  casing: 'snake_case',
  dbCredentials: { url: process.env.APP_DATABASE__URL ?? 'postgres://altis:altis@127.0.0.1:5432/altis' },
});
