import { randomUUID } from 'node:crypto';
import { issueToken } from '../../api/auth';
import type { AppConfig } from '../../config';
import { customers } from '../../db/schema';
import type { Services } from '../../lib/services';

export type TestRole = 'customer' | 'agent' | 'admin';

/**
 * A signed-in caller for a test: a customer row that really exists (a USER with the role, or a GUEST) and a
 * token for it. Tests take their tokens from here rather than signing one for a made-up id, so that the API may
 * look the caller up.
 */
export async function tokenFor(
  services: Pick<Services, 'db'>,
  config: Pick<AppConfig, 'auth'>,
  role: TestRole = 'customer',
  kind: 'USER' | 'GUEST' = 'USER',
): Promise<{ id: string; token: string }> {
  const id = randomUUID();
  await services.db
    .insert(customers)
    .values({ id, kind, role, email: kind === 'USER' ? `test-${id}@altis.test` : null });
  const { token } = await issueToken(config, { id, kind, role, tokenVersion: 0 });
  return { id, token };
}
