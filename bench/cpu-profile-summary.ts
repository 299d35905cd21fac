/**
 * Summarises a V8 CPU profile (`node --cpu-prof`; `BENCH_CPU_PROFILE=1 npm run bench -- request-path` writes the
 * API's to .data/profiles/): the share of samples that were idle, and the top self time by function and by
 * package or project file.
 *
 *   npx tsx bench/cpu-profile-summary.ts .data/profiles/<file>.cpuprofile [top=25]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: npx tsx bench/cpu-profile-summary.ts <file.cpuprofile> [top]');
  process.exit(1);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

/** node_modules/<pkg> (or @scope/pkg), a project file, or node internals. */
function owner(url: string): string {
  if (!url) return '(native / V8)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.startsWith('node:')) return 'node internals';
  const project = /\/(api|lib|services|domain|db|config|workflows|bench)\/[^?]*/.exec(url);
  return project ? project[0].slice(1) : url;
}

const byFunction = new Map<string, number>();
const byOwner = new Map<string, number>();
for (const [id, us] of selfUs) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const name = functionName || '(anonymous)';
  const fn = ['(idle)', '(program)', '(garbage collector)'].includes(name)
    ? name
    : `${name} ${owner(url)}:${lineNumber + 1}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  const o = name === '(idle)' || name === '(garbage collector)' || name === '(program)' ? name : owner(url);
  byOwner.set(o, (byOwner.get(o) ?? 0) + us);
}

const pct = (us: number) => `${((100 * us) / total).toFixed(1)}%`.padStart(6);
const print = (title: string, map: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [k, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)}  ${k}`);
};
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`);
print('self time by package / file', byOwner);
print('self time by function', byFunction);
