/**
 * .env.example lists every key of config/default.toml with its default, and cannot drift from it: it is what
 * scripts/env-example.ts generates, and loading every variable it lists gives exactly the default configuration.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import { envEntries, envExample, parseEnvExample } from '../../scripts/env-example';
import { parse } from 'smol-toml';

const root = new URL('../../', import.meta.url).pathname;
const toml = readFileSync(`${root}config/default.toml`, 'utf8');
const committed = readFileSync(`${root}.env.example`, 'utf8');

describe('.env.example', () => {
  it('is what config/default.toml generates (npm run env:example)', () => {
    expect(committed).toBe(envExample(toml));
  });

  it('names every key of config/default.toml once', () => {
    const vars = parseEnvExample(committed);
    const keys = envEntries(parse(toml) as Record<string, unknown>).map(([name]) => name);
    expect(Object.keys(vars).sort()).toEqual([...keys].sort());
    expect(keys.length).toBeGreaterThan(69);
    expect(vars).toMatchObject({
      APP_ENV: 'development',
      APP_SERVER__PORT: '8080',
      APP_SMTP__FROM: 'Altis <no-reply@altis.local>',
      APP_KAFKA__BROKERS: '["127.0.0.1:9092"]',
    });
  });

  it('holds only real keys with their defaults: loading all of them gives the default configuration', () => {
    const vars = parseEnvExample(committed);
    expect(loadConfig(vars)).toEqual(loadConfig({}));
    // and a value changed in the file is the value loaded (the names are the ones the loader reads)
    expect(loadConfig({ ...vars, APP_SERVER__PORT: '9001' }).server.port).toBe(9001);
  });
});
