import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, processEnv, readServicesEnv } from '../../config';

// What scripts/infra.sh start writes: the servers of this clone, ports moved off a foreign server.
const dir = mkdtempSync(join(tmpdir(), 'altis-services-env-'));
writeFileSync(
  join(dir, 'services.env'),
  [
    '# written by scripts/infra.sh start',
    'ALTIS_PG_PORT=5433',
    'ALTIS_PG_MODE=own',
    'APP_DATABASE__URL=postgres://altis:altis@127.0.0.1:5433/altis',
    'APP_REDIS__URL=redis://127.0.0.1:6380/0',
    'APP_KAFKA__BROKERS=127.0.0.1:9094',
    'APP_TEMPORAL__ADDRESS=127.0.0.1:7234',
    '',
  ].join('\n'),
);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('.data/services.env', () => {
  it('is read as KEY=value lines, comments and blanks skipped', () => {
    expect(readServicesEnv({ ALTIS_DATA_DIR: dir })).toMatchObject({ ALTIS_PG_PORT: '5433', ALTIS_PG_MODE: 'own' });
    expect(readServicesEnv({ ALTIS_DATA_DIR: join(dir, 'none') })).toEqual({});
  });

  it("gives every process the chosen servers, under the process's own APP_* variables", () => {
    const config = loadConfig(processEnv({ ALTIS_DATA_DIR: dir, APP_REDIS__URL: 'redis://elsewhere:6379/3' }));
    expect(config.database.url).toBe('postgres://altis:altis@127.0.0.1:5433/altis');
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9094']);
    expect(config.temporal.address).toBe('127.0.0.1:7234');
    expect(config.redis.url).toBe('redis://elsewhere:6379/3'); // the process's variable wins
  });

  it('stays out of a config loaded from an explicit environment', () => {
    expect(loadConfig({ ALTIS_DATA_DIR: dir }).database.url).toBe('postgres://altis:altis@127.0.0.1:5432/altis');
  });
});
