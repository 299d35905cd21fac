import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The room rules of eslint.config.js (DESIGN.md, "Rooms"), run on snippets placed in a room. Only the two rules
// that hold the rooms run, without type information, so a snippet needs no project.
const root = fileURLToPath(new URL('../..', import.meta.url));
const ROOM_RULES = new Set(['import-x/no-restricted-paths', 'no-restricted-imports']);
const eslint = new ESLint({
  cwd: root,
  overrideConfigFile: `${root}eslint.config.js`,
  overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
  ruleFilter: ({ ruleId }) => ROOM_RULES.has(ruleId),
});

async function roomErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}${filePath}` });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'fatal'}: ${m.message}`);
}

const forbidden: [room: string, file: string, code: string][] = [
  ['domain', 'domain/probe.ts', "import type { AppConfig } from '../config';"],
  ['domain', 'domain/probe.ts', "import { createHash } from 'node:crypto';"],
  ['domain', 'domain/probe.ts', "import { Redis } from 'ioredis';"],
  ['domain', 'domain/probe.ts', "export { createServices } from '../services';"],
  ['workflows', 'workflows/probe.ts', "import { createActivities } from '../activities';"],
  ['workflows', 'workflows/probe.ts', "import type { Database } from '../db/client';"],
  ['services', 'services/probe.ts', "import type { ApiDeps } from '../api/deps';"],
  ['services', 'services/inventory/probe.ts', "import { orderWorkflow } from '../../workflows/order';"],
  ['activities', 'activities/probe.ts', "import { createApp } from '../api/app';"],
  ['api', 'api/routes/probe.ts', "import type { createActivities } from '../../activities';"],
  ['api', 'api/routes/probe.ts', "import { orderWorkflow } from '../../workflows/order';"],
  ['api', 'api/probe.ts', "import { orders } from '../db/schema';"],
  ['api', 'api/probe.ts', "import { createWorker } from '../worker/worker';"],
  ['consumers', 'consumers/probe.ts', "import { recordLocator } from '../activities/orders';"],
  ['db', 'db/schema/probe.ts', "import { createServices } from '../../services';"],
  ['lib', 'lib/probe.ts', "import { orders } from '../db/schema';"],
  ['lib', 'lib/probe.ts', "import { createServices } from '../services';"],
  ['config', 'config/probe.ts', "import { createLogger } from '../lib/logger';"],
  ['worker', 'worker/probe.ts', "import { createApp } from '../api/app';"],
  ['payments-sandbox', 'payments-sandbox/probe.ts', "import { createActivities } from '../activities';"],
  ['web', 'web/src/probe.tsx', "import { createServices } from '../../services';"],
  ['web', 'web/src/probe.tsx', "import { ERROR_STATUS } from '../../domain/errors';"],
  ['web', 'web/src/probe.tsx', "import type { AppType } from '../../api/app';"],
  ['web', 'web/src/probe.tsx', "import { readFileSync } from 'node:fs';"],
];

const allowed: [room: string, file: string, code: string][] = [
  ['web', 'web/src/probe.tsx', "import { createAltisClient } from '../../api/client';"],
  ['domain', 'domain/probe.ts', "import { money } from './money';"],
  ['workflows', 'workflows/probe.ts', "import type { createActivities } from '../activities';"],
  [
    'services',
    'services/probe.ts',
    "import { createDb } from '../db/client';\nimport { loadConfig } from '../config';",
  ],
  ['services', 'services/probe.ts', "import type { OrderSummary } from '../workflows/messages';"],
  ['activities', 'activities/probe.ts', "import { createServices } from '../services';"],
  ['api', 'api/routes/probe.ts', "import { startPayment } from '../../workflows/messages';"],
  ['api', 'api/probe.ts', "import type { orderWorkflow } from '../workflows/order';"],
  [
    'api',
    'api/probe.ts',
    "import type { Database } from '../db/client';\nimport { createServices } from '../services';",
  ],
  ['consumers', 'consumers/probe.ts', "import { orders } from '../db/schema';"],
  ['lib', 'lib/probe.ts', "import { createDb } from '../db/client';"],
  [
    'worker',
    'worker/probe.ts',
    "import { createActivities } from '../activities';\nimport { createApp } from '../services';",
  ],
  [
    'test',
    'test/unit/probe.ts',
    "import { createApp } from '../../api/app';\nimport { createActivities } from '../../activities';",
  ],
];

describe('lint: rooms (DESIGN.md "may import")', () => {
  it.each(forbidden)('%s: rejects %s: %s', async (_room, file, code) => {
    expect(await roomErrors(file, code)).toEqual([
      expect.stringMatching(/^(import-x\/no-restricted-paths|no-restricted-imports): .*DESIGN\.md, Rooms/),
    ]);
  });

  it.each(allowed)('%s: accepts %s: %s', async (_room, file, code) => {
    expect(await roomErrors(file, code)).toEqual([]);
  });
});
