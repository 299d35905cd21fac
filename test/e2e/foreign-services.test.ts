/**
 * A machine that already runs a PostgreSQL and a Redis of someone else's on the default ports, and two clones of
 * Altis (test/e2e/foreign-services.sh, in a network namespace of its own so that the default ports are free of
 * this machine's services): `npm start` in clone A leaves the foreign servers untouched, starts its own on free
 * ports and comes up healthy; clone B shares A's servers with databases of its own; A's tests and then B's run
 * without touching each other's data. Needs root (unshare --net) like the rest of this machine's setup.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;
let work: string;
let output = '';
const results = new Map<string, string>();

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'altis-foreign-'));
  // The scenario's processes start from a clean environment: none of this test process's APP_* / ALTIS_* settings.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('APP_') && !k.startsWith('ALTIS_')),
  ) as Record<string, string>;
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('unshare', ['--net', 'bash', join(ROOT, 'test/e2e/foreign-services.sh'), ROOT, work], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', reject);
    child.once('exit', resolve);
  });
  for (const line of output.split('\n')) {
    const m = /^RESULT (\S+) ?(.*)$/.exec(line);
    if (m) results.set(m[1]!, m[2]!);
  }
  if (code !== 0) throw new Error(`the scenario exited with ${code}:\n${output.slice(-4000)}`);
}, 900_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const r = (key: string) => {
  const v = results.get(key);
  if (v === undefined) throw new Error(`the scenario printed no ${key}:\n${output.slice(-4000)}`);
  return v;
};

describe('npm start next to foreign PostgreSQL and Redis on the default ports, and a second clone', () => {
  it('clone A says the servers on 5432 and 6379 are not usable, starts its own on free ports, and /health is ok', () => {
    expect(r('a_said_pg')).toBe('1');
    expect(r('a_said_redis')).toBe('1');
    expect(r('a_ALTIS_PG_MODE')).toBe('own');
    expect(r('a_ALTIS_REDIS_MODE')).toBe('own');
    expect(Number(r('a_ALTIS_PG_PORT'))).toBeGreaterThan(5432);
    expect(Number(r('a_ALTIS_REDIS_PORT'))).toBeGreaterThan(6379);
    // Temporal and Kafka had free default ports: A's own there.
    expect([r('a_ALTIS_TEMPORAL_MODE'), r('a_ALTIS_TEMPORAL_PORT')]).toEqual(['own', '7233']);
    expect([r('a_ALTIS_KAFKA_MODE'), r('a_ALTIS_KAFKA_PORT')]).toEqual(['own', '9092']);
    // The processes read the moved ports from .data/services.env.
    expect(r('a_APP_DATABASE__URL')).toBe(`postgres://altis:altis@127.0.0.1:${r('a_ALTIS_PG_PORT')}/altis`);
    expect(r('a_APP_REDIS__URL')).toBe(`redis://127.0.0.1:${r('a_ALTIS_REDIS_PORT')}/0`);
    expect(JSON.parse(r('a_health'))).toEqual({ status: 'ok', up: ['postgres', 'redis', 'temporal', 'kafka'] });
    expect(r('a_doctor')).toBe('0');
  });

  it('npm run db:reset puts the development database back to its freshly seeded state', () => {
    expect(r('a_reset_rc')).toBe('0');
    expect(r('a_reset_marker_gone')).toBe('t');
    const [after, before] = r('a_reset_flights').split('/');
    expect(after).toBe(before);
    const [changed, seeded] = r('a_reset_seats_before').split('/').map(Number);
    expect(changed).toBeLessThan(seeded!); // the scenario deleted a flight's seats before the reset
    const [seats, seatsBefore] = r('a_reset_seats').split('/').map(Number);
    expect(seats).toBe(seatsBefore); // every seeded seat again, the deleted ones too
    expect(seats).toBeGreaterThan(0);
  });

  it('leaves the foreign servers exactly as they were: no role, database or key of Altis in them', () => {
    expect(r('foreign_pg_databases')).toBe('postgres,theirs');
    expect(r('foreign_pg_roles')).toBe('postgres');
    expect(r('foreign_pg_notes')).toBe('keep me');
    expect(r('foreign_redis_db0')).toBe('theirs:data');
    expect(r('foreign_redis_db1')).toBe('theirs:more');
    expect(r('foreign_redis_dbs')).toBe('2');
  });

  it("clone B shares A's servers (compatible, reachable with the configured credentials) under names of its own", () => {
    expect(r('b_infra_rc')).toBe('0');
    for (const svc of ['PG', 'REDIS', 'TEMPORAL', 'KAFKA']) expect(r(`b_ALTIS_${svc}_MODE`)).toBe('shared');
    expect(r('b_ALTIS_PG_PORT')).toBe(r('a_ALTIS_PG_PORT'));
    expect(r('b_ALTIS_REDIS_PORT')).toBe(r('a_ALTIS_REDIS_PORT'));
    expect(r('b_ALTIS_TEST_DB')).toMatch(/^altis_test_[0-9a-f]{8}$/);
    expect(r('b_APP_DATABASE__URL')).toMatch(/\/altis_[0-9a-f]{8}$/);
    expect(r('b_ALTIS_TEST_REDIS_DB')).not.toBe(r('a_ALTIS_TEST_REDIS_DB'));
    expect(r('b_APP_REDIS__URL')).not.toBe(r('a_APP_REDIS__URL'));
    expect(r('b_APP_KAFKA__TOPIC_PREFIX')).toMatch(/^altis-[0-9a-f]{8}\.$/);
    expect(r('b_APP_TEMPORAL__TASK_QUEUE')).toMatch(/^altis-orders-[0-9a-f]{8}$/);
    expect([r('a_ALTIS_TEST_TASK_QUEUE'), r('a_ALTIS_TEST_TOPIC_PREFIX')]).toEqual(['altis-test', 'altis-test.']);
    expect(r('b_ALTIS_TEST_TASK_QUEUE')).toMatch(/^altis-test-[0-9a-f]{8}$/);
    expect(r('b_ALTIS_TEST_TOPIC_PREFIX')).toMatch(/^altis-test-[0-9a-f]{8}\.$/);
  });

  it("A's tests and then B's run green, and B's run leaves A's test database and Redis db as A left them", () => {
    expect(r('a_tests_rc')).toBe('0');
    expect(r('b_tests_rc')).toBe('0');
    expect(r('a_marker_after_b')).toBe('a');
    expect(r('a_redis_marker_after_b')).toBe('a');
    expect(Number(r('b_test_db_flights'))).toBeGreaterThan(0); // B's own test database, migrated and seeded
    expect(r('b_test_db_marker')).toBe('t');
  });
});
