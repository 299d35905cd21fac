/**
 * Schemathesis (the schema-based fuzzer from PyPI, pinned and cached outside the clone by scripts/schemathesis.sh)
 * against a running API's own GET /openapi.json. Phases examples, coverage (boundary and negative values per
 * parameter) and fuzzing; checks: no 5xx, every status one the operation declares, JSON where JSON is declared,
 * every declared response body matches its schema. ST_MAX_EXAMPLES scales a run, ST_SEED replays one.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ST_SEED = process.env.ST_SEED ?? String(Date.now() % 1_000_000);
const MAX_EXAMPLES = process.env.ST_MAX_EXAMPLES ?? '12';
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_schema_conformance',
];

/** The path of the `st` binary, installed on first use. */
export const schemathesisBinary = () =>
  execFileSync('bash', ['scripts/schemathesis.sh'], { encoding: 'utf8' }).trim().split('\n').pop()!;

const toml = (v: string) => JSON.stringify(v); // a TOML basic string is a JSON string for these values

export interface SchemathesisRun {
  /** Every operation run: the bearer token sent, path parameters fixed to ids that exist. */
  token: string;
  pathIds?: Record<string, Record<string, string>>;
  /** Extra CLI filters (--include-path-regex …). */
  filter?: string[];
}

/** One run; resolves with the tool's exit code, its output and the number of operations it tested (JUnit). */
export async function runSchemathesis(
  st: string,
  apiUrl: string,
  run: SchemathesisRun,
): Promise<{ code: number | null; output: string; tests: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'altis-st-'));
  const config = [`headers = { Authorization = ${toml(`Bearer ${run.token}`)} }`];
  for (const [path, params] of Object.entries(run.pathIds ?? {})) {
    const pairs = Object.entries(params).map(([k, v]) => `${toml(`path.${k}`)} = ${toml(v)}`);
    config.push('[[operations]]', `include-path = ${toml(path)}`, `parameters = { ${pairs.join(', ')} }`);
  }
  writeFileSync(join(dir, 'schemathesis.toml'), config.join('\n'));
  const args = [
    '--config-file',
    join(dir, 'schemathesis.toml'),
    'run',
    `${apiUrl}/openapi.json`,
    ...(run.filter ?? []),
    '--checks',
    CHECKS.join(','),
    '--phases',
    'examples,coverage,fuzzing',
    '--max-examples',
    MAX_EXAMPLES,
    '--seed',
    ST_SEED,
    // One worker: Python 3.11.7's ast module is not thread-safe (CPython gh-106905), and the tool parses with it.
    '--workers',
    '1',
    '--no-shrink',
    '--request-timeout',
    '30',
    '--report',
    'junit',
    '--report-dir',
    dir,
    '--no-color',
  ];
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    // Run in its own directory: the tool keeps a cache (.schemathesis/) where it runs.
    const child = spawn(st, args, { cwd: dir, env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c, output: out }));
  });
  const junit = readdirSync(dir).find((f) => f.startsWith('junit') && f.endsWith('.xml'));
  const xml = junit ? readFileSync(join(dir, junit), 'utf8') : '';
  return { code, output, tests: Number(/tests="(\d+)"/.exec(xml)?.[1] ?? 0) };
}
