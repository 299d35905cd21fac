import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../api/app';
import { customers } from '../../db/schema';
import type { Services } from '../../lib/services';
import { openTestServices, silentLogger, testConfig } from '../support/services';

/** `npm run admin:create` run as a real process against the test database (the worker's env carries it). */
const run = promisify(execFile);
async function adminCreate(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run('npx', ['tsx', 'scripts/admin-create.ts', ...args], {
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const config = testConfig();
let services: Services;
let app: App;
const emails: string[] = [];
const newEmail = () => {
  const email = `ops-${randomUUID()}@example.com`;
  emails.push(email);
  return email;
};

beforeAll(async () => {
  services = await openTestServices(config);
  app = createApp({ config, logger: silentLogger(), ...services });
});

afterAll(async () => {
  if (emails.length > 0) await services.db.delete(customers).where(inArray(customers.email, emails));
  await services.close();
});

async function login(email: string, password: string) {
  const res = await app.request('/v1/auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  return { status: res.status, token: ((await res.json()) as { token?: string }).token };
}
const me = async (token: string) => {
  const res = await app.request('/v1/auth/me', { headers: { Authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as { role?: string } };
};
const adminRoute = async (token: string) =>
  (await app.request('/v1/admin/analytics', { headers: { Authorization: `Bearer ${token}` } })).status;

describe('npm run admin:create', () => {
  it('creates an admin with a generated password printed once; the password signs in as admin', async () => {
    const email = newEmail();
    const { code, stdout } = await adminCreate([email]);
    expect(code).toBe(0);
    expect(stdout).toContain(`created admin ${email}`);
    const password = /password \(shown once\): (\S+)/.exec(stdout)?.[1];
    expect(password).toBeDefined();
    expect(password!.length).toBeGreaterThanOrEqual(20);

    const [row] = await services.db.select().from(customers).where(eq(customers.email, email));
    expect(row).toMatchObject({ kind: 'USER', role: 'admin' });
    expect(row!.passwordHash).not.toContain(password!); // stored hashed (argon2id)
    expect(row!.passwordHash).toMatch(/^\$argon2id\$/);

    const { status, token } = await login(email, password!);
    expect(status).toBe(200);
    expect((await me(token!)).body.role).toBe('admin');
    expect(await adminRoute(token!)).toBe(200);
  });

  it('creates an agent with the password from ALTIS_ADMIN_PASSWORD, and prints no password', async () => {
    const email = newEmail();
    const password = 'agent password from env';
    const { code, stdout } = await adminCreate([email, '--role', 'agent'], { ALTIS_ADMIN_PASSWORD: password });
    expect(code).toBe(0);
    expect(stdout).toContain(`created agent ${email}`);
    expect(stdout).not.toContain(password);
    const { status, token } = await login(email, password);
    expect(status).toBe(200);
    expect((await me(token!)).body.role).toBe('agent');
    expect(await adminRoute(token!)).toBe(403);
  });

  it("promotes an existing account (its password kept) and a role change revokes the account's earlier tokens", async () => {
    const email = newEmail();
    const password = 'a customer who becomes staff';
    const registered = await app.request('/v1/auth/register', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    expect(registered.status).toBe(201);
    const customerToken = ((await registered.json()) as { token: string }).token;
    expect((await me(customerToken)).body.role).toBe('customer');

    const promoted = await adminCreate([email, '--role', 'agent']);
    expect(promoted.code).toBe(0);
    expect(promoted.stdout).toContain(`updated agent ${email}`);
    expect(promoted.stdout).toContain('password: unchanged');
    expect((await me(customerToken)).status).toBe(401);
    const agent = await login(email, password);
    expect((await me(agent.token!)).body.role).toBe('agent');

    const admin = await adminCreate([email]);
    expect(admin.stdout).toContain(`updated admin ${email}`);
    expect((await me(agent.token!)).status).toBe(401);
    const again = await login(email, password);
    expect(await adminRoute(again.token!)).toBe(200);
  });

  it('refuses bad arguments with a usage line and writes nothing', async () => {
    const email = newEmail();
    for (const args of [[], ['not-an-email'], [email, '--role', 'root'], [email, 'extra']]) {
      const { code, stderr } = await adminCreate(args);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr).toContain('usage: npm run admin:create');
    }
    const short = await adminCreate([email], { ALTIS_ADMIN_PASSWORD: 'short' });
    expect(short.code).toBe(2);
    expect(await services.db.select().from(customers).where(eq(customers.email, email))).toHaveLength(0);
  });
});
