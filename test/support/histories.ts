import { readdirSync, readFileSync } from 'node:fs';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';

const dir = new URL('../histories', import.meta.url).pathname;

/** The recorded histories (test/histories/<workflow type>/<path>.json), named `<workflow type>-<path>`. */
export function recordedHistories() {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({
      file: f,
      workflowId: f.replace(/\.json$/, '').replace('/', '-'),
      history: historyFromJSON(JSON.parse(readFileSync(`${dir}/${f}`, 'utf8'))),
    }));
}
