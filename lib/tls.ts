import { readFileSync } from 'node:fs';

/** A PEM file named by a config key, read once at connect time; "" = not configured. */
export function readPem(path: string): string | undefined {
  return path === '' ? undefined : readFileSync(path, 'utf8');
}
