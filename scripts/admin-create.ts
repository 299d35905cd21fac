/**
 * Creates the first admin or agent (or promotes an existing account): `npm run admin:create -- <email> [--role admin|agent]`.
 * The password comes from ALTIS_ADMIN_PASSWORD (at least 10 characters) or, for a new account without it, is generated
 * and printed once (store it; it is not shown again). An existing account keeps its password unless
 * ALTIS_ADMIN_PASSWORD is set. A role change revokes the account's earlier tokens (token_version, migration 0012).
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../config';
import { createDb } from '../db/client';
import { hashPassword, upsertUserWithRole } from '../services/customers';

const ROLES = ['admin', 'agent'] as const;
const USAGE =
  'usage: npm run admin:create -- <email> [--role admin|agent]   (password: ALTIS_ADMIN_PASSWORD or generated)';

async function run() {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    options: { role: { type: 'string', default: 'admin' } },
    allowPositionals: true,
  });
  const email = z.email().max(254).safeParse(positionals[0]);
  const role = z.enum(ROLES).safeParse(values.role);
  if (positionals.length !== 1 || !email.success || !role.success) {
    console.error(USAGE);
    process.exit(2);
  }
  const given = process.env.ALTIS_ADMIN_PASSWORD;
  if (given !== undefined && given.length < 10) {
    console.error('ALTIS_ADMIN_PASSWORD must be at least 10 characters');
    process.exit(2);
  }

  const config = loadConfig();
  const handle = createDb(config.database.url, { max: 1 });
  const { db } = handle;
  try {
    const address = email.data.toLowerCase();
    // A generated password only for a new account: an existing one keeps its own unless one is given.
    const existing = await db.query.customers.findFirst({ where: (c, { eq }) => eq(c.email, address) });
    const generated = given === undefined && !existing ? randomBytes(18).toString('base64url') : undefined;
    const password = given ?? generated;
    const { record, created } = await upsertUserWithRole(
      db,
      address,
      role.data,
      password === undefined ? null : await hashPassword(password),
    );
    console.log(`${created ? 'created' : 'updated'} ${record.role} ${record.email} (customer ${record.id})`);
    if (generated) console.log(`password (shown once): ${generated}`);
    else if (given) console.log('password: set from ALTIS_ADMIN_PASSWORD');
    else console.log('password: unchanged');
    if (!created && existing?.role !== record.role)
      console.log(`role ${existing?.role} → ${record.role}: earlier tokens revoked`);
  } finally {
    await handle.close();
  }
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
