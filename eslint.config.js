// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX, createNodeResolver } from 'eslint-plugin-import-x';
import reactHooks from 'eslint-plugin-react-hooks';

/*
 * Rooms: DESIGN.md's "may import" column, as we read it. "Only" means every other top-level folder is forbidden;
 * packages stay allowed unless named.
 *   domain/     domain/ only; no Node built-ins, no I/O packages (ioredis, postgres, drizzle-orm, kafkajs, @temporalio/*).
 *   workflows/  domain/, workflows/; activities/ as `import type` only (plus the determinism rules further down).
 *   activities/ domain/, services/, db/, lib/, config/, activities/; workflows/ as `import type` only.
 *   services/   domain/, db/, lib/, config/, services/; workflows/ as `import type` only.
 *   api/        domain/, services/, lib/, config/, api/, workflows/messages.ts; other workflows/ files and db/
 *               as `import type` only; never activities/, worker/, consumers/, scripts/.
 *   consumers/  domain/, services/, db/, lib/, config/, consumers/.
 *   db/         db/, domain/ (its pure constants and types: one home for the enums' values).
 *   lib/        lib/, config/, db/client.ts.    config/  config/ only.
 *   worker/     anything but api/, consumers/, scripts/.
 *   payments-sandbox/  anything but api/, activities/.    test/, bench/, scripts/: unrestricted.
 *   web/        api/client.ts only (the typed client; it imports the app as a type); no Node built-ins.
 * import-x/no-restricted-paths resolves every import (type imports too) to its file and holds the folder rules. It
 * cannot tell `import type` from a value import, so the folders allowed "as `import type` only" stay open there and
 * no-restricted-imports (allowTypeImports) closes them to value imports, matching the import's text.
 */
const FOLDERS = [
  'activities',
  'api',
  'bench',
  'config',
  'consumers',
  'db',
  'deploy',
  'domain',
  'lib',
  'ops',
  'payments-sandbox',
  'scripts',
  'services',
  'test',
  'web',
  'worker',
  'workflows',
];

/** A zone: `room` may import only from itself and `allowed` (top-level folders). */
const mayImportOnly = (room, allowed) => ({
  target: `./${room}`,
  from: FOLDERS.filter((f) => f !== room && !allowed.includes(f)).map((f) => `./${f}`),
  message: `${room}/ may import only ${[room, ...allowed].map((f) => `${f}/`).join(', ')} (DESIGN.md, Rooms).`,
});

/** A zone: `room` may not import from `forbidden`. */
const mayNotImport = (room, forbidden) => ({
  target: `./${room}`,
  from: forbidden.map((f) => `./${f}`),
  message: `${room}/ may not import ${forbidden.map((f) => `${f}/`).join(', ')} (DESIGN.md, Rooms).`,
});

const roomZones = [
  mayImportOnly('domain', []),
  mayImportOnly('workflows', ['domain', 'activities']),
  mayImportOnly('activities', ['domain', 'services', 'db', 'lib', 'config', 'workflows']),
  mayImportOnly('services', ['domain', 'db', 'lib', 'config', 'workflows']),
  mayImportOnly('api', ['domain', 'services', 'lib', 'config', 'workflows', 'db']),
  mayImportOnly('consumers', ['domain', 'services', 'db', 'lib', 'config']),
  mayImportOnly('db', ['domain']),
  mayImportOnly('config', []),
  mayImportOnly('lib', ['config', 'db']),
  {
    target: './lib',
    from: './db',
    except: ['./client.ts'],
    message: 'lib/ may import only client.ts of db/ (DESIGN.md, Rooms).',
  },
  mayImportOnly('web', ['api']),
  {
    target: './web',
    from: './api',
    except: ['./client.ts'],
    message: 'web/ talks to the API through the typed client only: api/client.ts (DESIGN.md, Rooms).',
  },
  mayNotImport('worker', ['api', 'consumers', 'scripts']),
  mayNotImport('payments-sandbox', ['api', 'activities']),
];

/** Matches an import of top-level `folder` from any depth of another top-level folder ('../x', '../../x/y'). */
const importOf = (folder, rest = '(/.*)?$') => `^(\\.\\./)+${folder}${rest}`;

/** A no-restricted-imports pattern: `folder` as `import type` only. */
const typeOnly = (folder, rest) => ({
  regex: importOf(folder, rest),
  allowTypeImports: true,
  message: `Import ${folder}/ with \`import type\` only here (DESIGN.md, Rooms).`,
});

const IO_PACKAGES = '^(ioredis|postgres|kafkajs|drizzle-orm|@temporalio/[^/]+)(/.*)?$';
const NODE_BUILTINS = `^(node:.*|${builtinModules.filter((m) => !m.startsWith('_')).join('|')})(/.*)?$`;

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', 'dist/**', 'web/dist/**', 'db/migrations/**', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // Workflow and handler signatures are async by contract even when a body has nothing to await.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    plugins: { 'import-x': importX },
    settings: {
      // Imports are extensionless relative paths ('../config', '../../services/inventory' = its index.ts).
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'] })],
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: roomZones }],
    },
  },
  {
    files: ['web/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: NODE_BUILTINS, message: 'web/ runs in the browser: no Node built-ins (DESIGN.md, Rooms).' },
          ],
        },
      ],
    },
  },
  {
    files: ['domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: NODE_BUILTINS, message: 'domain/ is pure: no Node built-ins (DESIGN.md, Rooms).' },
            { regex: IO_PACKAGES, message: 'domain/ does no I/O (DESIGN.md, Rooms).' },
          ],
        },
      ],
    },
  },
  {
    files: ['activities/**/*.ts', 'services/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [typeOnly('workflows')] }] },
  },
  {
    // The API shares the message definitions (workflows/messages.ts) and reads db/ types; bodies and queries stay out.
    files: ['api/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [typeOnly('workflows', '(?!/messages$)(/.*)?$'), typeOnly('db')] },
      ],
    },
  },
  {
    // Workflow code is replayed: it must be deterministic and free of I/O.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'crypto', 'http', 'https', 'net', 'os', 'child_process'],
              message: 'Workflows may not use Node built-ins.',
            },
            {
              group: [
                '../activities/*',
                '../db/*',
                '../api/*',
                '../lib/*',
                'ioredis',
                'postgres',
                'kafkajs',
                'drizzle-orm*',
              ],
              message: 'Workflows may not do I/O; import activity types with `import type`.',
              allowTypeImports: true,
            },
            typeOnly('activities'),
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        {
          object: 'Date',
          property: 'now',
          message:
            'Use the workflow clock (Date is deterministic inside the sandbox, but be explicit via workflow APIs).',
        },
        {
          object: 'Math',
          property: 'random',
          message: 'Use the deterministic workflow random (uuid4 from @temporalio/workflow).',
        },
      ],
      'no-restricted-globals': ['error', 'setInterval', 'process'],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
