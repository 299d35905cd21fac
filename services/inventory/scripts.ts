import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/**
 * The inventory's Lua scripts (lua/*.lua), read once when this module loads and registered on a Redis client
 * with `defineCommand` (EVALSHA, falling back to EVAL when the server has not seen the script). Each touches
 * the keys of one flight only.
 */
const lua = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');

const SCRIPTS = {
  altisInvHold: { numberOfKeys: 2, lua: lua('hold') },
  altisInvSettle: { numberOfKeys: 3, lua: lua('settle') },
  altisInvRebuild: { numberOfKeys: 3, lua: lua('rebuild') },
  altisSeatLock: { numberOfKeys: 1, lua: lua('seat-lock') },
  altisSeatUnlock: { numberOfKeys: 1, lua: lua('seat-unlock') },
  altisInvAdmit: { numberOfKeys: 2, lua: lua('admit') },
} as const;

export type Arg = string | number;

export interface ScriptCommands {
  altisInvHold(avail: string, holds: string, owner: string, ...cabinsAndQuantities: Arg[]): Promise<string[]>;
  altisInvSettle(
    avail: string,
    holds: string,
    settles: string,
    owner: string,
    mode: 'release' | 'sell',
    ...cabins: string[]
  ): Promise<string[]>;
  altisSeatLock(key: string, owner: string, ttlMs: number): Promise<number>;
  altisSeatUnlock(key: string, owner: string): Promise<number>;
  altisInvAdmit(
    avail: string,
    admit: string,
    owner: string,
    ttlMs: number,
    ...cabinsAndQuantities: Arg[]
  ): Promise<string[]>;
}

/** The subset of a pipeline the index uses (ioredis does not type commands added by defineCommand). */
export interface ScriptPipeline {
  altisInvRebuild(avail: string, holds: string, settles: string, ...args: Arg[]): ScriptPipeline;
  hgetall(key: string): ScriptPipeline;
  get(key: string): ScriptPipeline;
  del(...keys: string[]): ScriptPipeline;
  exec(): Promise<[Error | null, unknown][] | null>;
}

export type ScriptedRedis = Redis & ScriptCommands;

/**
 * A pipeline of commands on several flights. On Redis Cluster a pipeline may only hold keys of one node (ioredis
 * refuses it otherwise), so there each command goes on its own, all at once (the Cluster client's auto-pipelining
 * batches them per node); every command's keys are one flight's, so each still runs in one slot. Same answers,
 * in the same order, either way.
 */
export function scriptPipeline(redis: Redis): ScriptPipeline {
  if (!redis.isCluster) return redis.pipeline() as unknown as ScriptPipeline;
  const client = redis as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const calls: (() => Promise<unknown>)[] = [];
  const queue =
    (name: string) =>
    (...args: unknown[]) => {
      calls.push(() => client[name]!(...args));
      return pipeline;
    };
  const pipeline: ScriptPipeline = {
    altisInvRebuild: queue('altisInvRebuild'),
    hgetall: queue('hgetall'),
    get: queue('get'),
    del: queue('del'),
    exec: () =>
      Promise.all(
        calls.map((call) =>
          call().then(
            (v): [null, unknown] => [null, v],
            (e: Error): [Error, null] => [e, null],
          ),
        ),
      ),
  };
  return pipeline;
}

/** Registers the scripts on this client (once; a client shared by several inventories keeps its commands). */
export function withScripts(redis: Redis): ScriptedRedis {
  const r = redis as Redis & Partial<ScriptCommands>;
  if (typeof r.altisInvHold !== 'function') {
    for (const [name, definition] of Object.entries(SCRIPTS)) redis.defineCommand(name, definition);
  }
  return redis as ScriptedRedis;
}
