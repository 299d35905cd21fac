/** The health of this process's service connections (GET /health): one probe per connection, in parallel. */
import type { Admin } from 'kafkajs';
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { Sql } from '../db/client';

export type DependencyName = 'postgres' | 'redis' | 'temporal' | 'kafka';
export interface DependencyStatus {
  status: 'up' | 'down';
  latency_ms: number;
  error?: string;
}
export interface HealthReport {
  status: 'ok' | 'degraded';
  dependencies: Record<DependencyName, DependencyStatus>;
}

export interface HealthDeps {
  sql: Sql;
  redis: Redis;
  temporal: Client;
  kafkaAdmin: Admin;
}

const TIMEOUT_MS = 2000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function probe(fn: () => Promise<unknown>): Promise<DependencyStatus> {
  const started = performance.now();
  try {
    await withTimeout(fn(), TIMEOUT_MS);
    return { status: 'up', latency_ms: Math.round(performance.now() - started) };
  } catch (err) {
    return {
      status: 'down',
      latency_ms: Math.round(performance.now() - started),
      error: err instanceof Error ? err.message : String(err),
    };
  }
}

/** Probes every dependency in parallel; each answers within two seconds or counts as down. */
export async function checkHealth(deps: HealthDeps): Promise<HealthReport> {
  const [postgres, redis, temporal, kafka] = await Promise.all([
    probe(() => deps.sql`select 1`),
    probe(async () => {
      // A stopped server would otherwise leave the ping queued until it returns.
      if (deps.redis.status !== 'ready') throw new Error(`connection ${deps.redis.status}`);
      await deps.redis.ping();
    }),
    probe(() => deps.temporal.workflowService.getSystemInfo({})),
    probe(async () => {
      await deps.kafkaAdmin.connect(); // a no-op when connected; reconnects after a broker outage
      await deps.kafkaAdmin.describeCluster();
    }),
  ]);
  const dependencies = { postgres, redis, temporal, kafka };
  const allUp = Object.values(dependencies).every((d) => d.status === 'up');
  return { status: allUp ? 'ok' : 'degraded', dependencies };
}
