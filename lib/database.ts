import { checkServerIdentity, type ConnectionOptions } from 'node:tls';
import type { AppConfig } from '../config';
import { createDb, type DbHandle } from '../db/client';
import { readPem } from './tls';

type DatabaseConfig = AppConfig['database'];

/**
 * postgres.js's `ssl` option for database.sslmode (libpq's meanings): require encrypts without checking the
 * server; verify-ca checks its certificate chains to ssl_ca_file (or the system CAs); verify-full also checks
 * that the certificate names the url's host: here, not left to postgres.js, which gives TLS no name for an IP
 * address, so that Node would check the certificate against "localhost" instead of the IP.
 */
export function databaseSsl(database: DatabaseConfig): undefined | 'require' | ConnectionOptions {
  switch (database.sslmode) {
    case 'disable':
      return undefined; // plaintext, unless the url itself asks for TLS (?sslmode=require)
    case 'require':
      return 'require';
    case 'verify-ca':
    case 'verify-full': {
      const ca = readPem(database.ssl_ca_file);
      // The url's (first) host, without IPv6 brackets.
      const host = new URL(database.url.replace(/^postgres(ql)?:/, 'http:')).hostname.replace(/^\[|\]$/g, '');
      return {
        rejectUnauthorized: true,
        ...(ca ? { ca } : {}),
        checkServerIdentity:
          database.sslmode === 'verify-ca' ? () => undefined : (_name, cert) => checkServerIdentity(host, cert),
      };
    }
  }
}

/** The database of `[database]`: its url, pool size and TLS. */
export function openDatabase(
  config: Pick<AppConfig, 'database'>,
  opts: { max?: number; socket?: (options: never) => unknown } = {},
): DbHandle {
  const ssl = databaseSsl(config.database);
  return createDb(config.database.url, {
    max: opts.max ?? config.database.pool_max,
    ...(ssl ? { ssl } : {}),
    ...(opts.socket ? { socket: opts.socket } : {}),
  });
}
