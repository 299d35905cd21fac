/**
 * database.sslmode against a Postgres of this test's own: a throwaway cluster (initdb from the Debian postgresql
 * package, run as the postgres user when the test runs as root) with ssl=on and a server certificate from a CA
 * the test generates, on a free port in a temp dir, stopped after. Connections go through the app's factory
 * (lib/database.ts openDatabase) with the CA file of config.
 */
import { chownSync, chmodSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppConfig } from '../../config';
import { openDatabase } from '../../lib/database';
import { testConfig } from '../support/services';
import { freePorts, issueCert, makeCa, run, tempDir, type Pem } from '../support/servers';

const dir = tempDir('pg-tls');
const data = join(dir.path, 'data');
let port = 0;
let ca: Pem;
let otherCa: Pem;
let bin = '';
let started = false;

/** Runs a Postgres binary as the postgres user (Postgres refuses to run as root). */
const asPostgres = (cmd: string, args: string[]) =>
  process.getuid?.() === 0
    ? run('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args])
    : run(join(bin, cmd), args);

beforeAll(async () => {
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(a) - Number(b));
  bin = `/usr/lib/postgresql/${versions.at(-1)}/bin`;
  if (!existsSync(join(bin, 'initdb'))) throw new Error(`no initdb in ${bin} (apt-get install postgresql)`);
  ca = await makeCa(dir.path, 'altis-test-pg-ca');
  otherCa = await makeCa(dir.path, 'another-ca');
  // Valid for localhost and 127.0.0.1 only: the server also listens on 127.0.0.2, a name the certificate lacks.
  const server = await issueCert(dir.path, ca, 'pg-server', ['localhost', '127.0.0.1']);
  port = (await freePorts(1))[0]!;
  if (process.getuid?.() === 0) {
    const { uid, gid } = await idOf('postgres');
    for (const p of [dir.path, server.keyFile, server.certFile]) chownSync(p, uid, gid);
  }
  chmodSync(server.keyFile, 0o600);
  await asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  // TLS connections only, over TCP (trust: the test is about the channel, not the password).
  writeFileSync(join(data, 'pg_hba.conf'), 'local all all trust\nhostssl all all 127.0.0.0/8 trust\n');
  // prettier-ignore
  await asPostgres('pg_ctl', ['-D', data, '-l', join(dir.path, 'postgres.log'), '-w', '-t', '30', 'start', '-o',
    `-p ${port} -c listen_addresses=127.0.0.1,127.0.0.2 -c unix_socket_directories=${dir.path} -c ssl=on ` +
    `-c ssl_cert_file=${server.certFile} -c ssl_key_file=${server.keyFile} -c fsync=off`]);
  started = true;
}, 120_000);

afterAll(async () => {
  if (started) await asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
  dir.remove();
});

async function idOf(user: string): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', user]), run('id', ['-g', user])]);
  return { uid: Number(uid), gid: Number(gid) };
}

function config(host: string, database: Partial<AppConfig['database']>): AppConfig {
  const base = testConfig();
  return {
    ...base,
    database: { ...base.database, url: `postgres://postgres@${host}:${port}/postgres`, ...database },
  };
}

/** Connects through the app's factory and asks the server whether this connection is encrypted. */
async function connect(host: string, database: Partial<AppConfig['database']>) {
  const pg = openDatabase(config(host, database), { max: 1 });
  try {
    const [row] = await pg.sql<{ ssl: boolean; version: string }[]>`
      SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()`;
    return row!;
  } finally {
    await pg.close();
  }
}

describe('Postgres over TLS (database.sslmode, database.ssl_ca_file)', () => {
  it('verify-full connects over TLS to a server whose certificate the configured CA signed, by name and by IP', async () => {
    for (const host of ['localhost', '127.0.0.1']) {
      const row = await connect(host, { sslmode: 'verify-full', ssl_ca_file: ca.certFile });
      expect(row.ssl).toBe(true);
      expect(row.version).toMatch(/^TLSv1\.[23]$/);
    }
  });

  it('verify-full refuses a server whose certificate another CA signed', async () => {
    await expect(connect('localhost', { sslmode: 'verify-full', ssl_ca_file: otherCa.certFile })).rejects.toThrow(
      /self[- ]signed|unable to (verify|get)|certificate/i,
    );
  });

  it('verify-full refuses a certificate that does not name the host; verify-ca accepts it (same CA)', async () => {
    await expect(connect('127.0.0.2', { sslmode: 'verify-full', ssl_ca_file: ca.certFile })).rejects.toThrow(
      /altnames|does not match|Hostname\/IP/i,
    );
    expect((await connect('127.0.0.2', { sslmode: 'verify-ca', ssl_ca_file: ca.certFile })).ssl).toBe(true);
  });

  it('require encrypts without checking; disable (plaintext) is refused by this server (hostssl only)', async () => {
    expect((await connect('127.0.0.1', { sslmode: 'require', ssl_ca_file: '' })).ssl).toBe(true);
    await expect(connect('127.0.0.1', { sslmode: 'disable', ssl_ca_file: '' })).rejects.toThrow(
      /pg_hba|no encryption/i,
    );
  });
});
