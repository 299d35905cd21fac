import { describe, expect, expectTypeOf, it } from 'vitest';
import { ConfigError, loadConfig, type BundleConfig, type PricingRuleConfig, type TaxConfig } from '../../config';
import type * as commercial from '../../domain/commercial';

const base = { APP_ENV: 'development' };

describe('configuration', () => {
  it('loads config/default.toml with the documented defaults', () => {
    const config = loadConfig(base);
    expect(config.server.port).toBe(8080);
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.bundles.map((b) => b.code)).toContain('FLIGHT_ONLY');
  });

  it('overrides any key with APP_SECTION__KEY, coercing to the key type', () => {
    const config = loadConfig({
      ...base,
      APP_SERVER__PORT: '9000',
      APP_DATABASE__URL: 'postgres://u:p@db:5432/x',
      APP_REDIS__URL: 'redis://cache:6379',
      APP_KAFKA__BROKERS: 'k1:9092,k2:9092',
      APP_AUTH__JWT_SECRET: 'x'.repeat(40),
      APP_LOG__PRETTY: 'true',
    });
    expect(config.server.port).toBe(9000);
    expect(config.database.url).toBe('postgres://u:p@db:5432/x');
    expect(config.redis.url).toBe('redis://cache:6379');
    expect(config.kafka.brokers).toEqual(['k1:9092', 'k2:9092']);
    expect(config.auth.jwt_secret).toBe('x'.repeat(40));
    expect(config.log.pretty).toBe(true);
  });

  it('accepts JSON for arrays and tables', () => {
    const config = loadConfig({ ...base, APP_KAFKA__BROKERS: '["a:1","b:2"]' });
    expect(config.kafka.brokers).toEqual(['a:1', 'b:2']);
  });

  it.each([
    ['APP_SERVER__PORT', 'eighty', /APP_SERVER__PORT: expected a number/],
    ['APP_SERVER__PORT', '70000', /server\.port \(env APP_SERVER__PORT\)/],
    ['APP_DATABASE__URL', 'mysql://x', /database\.url \(env APP_DATABASE__URL\): must be a postgres:\/\/ URL/],
    ['APP_AUTH__JWT_SECRET', 'short', /auth\.jwt_secret \(env APP_AUTH__JWT_SECRET\): must be at least 32/],
    ['APP_SERVER__PROT', '1', /unknown configuration key "server\.prot"/],
    ['APP_NOPE__KEY', '1', /unknown configuration section "nope"/],
    ['APP_LOG__PRETTY', 'yes', /expected true or false/],
  ])('rejects %s=%s with a message naming the key', (name, value, message) => {
    expect(() => loadConfig({ ...base, [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, [name]: value })).toThrow(message);
  });

  it('refuses the development secrets in production', () => {
    expect(() => loadConfig({ APP_ENV: 'production' })).toThrow(/auth\.jwt_secret: the development default/);
    const config = loadConfig({
      APP_ENV: 'production',
      APP_AUTH__JWT_SECRET: 'p'.repeat(48),
      APP_PAYMENTS__WEBHOOK_SECRET: 'w'.repeat(32),
      APP_OFFERS__ID_SECRET: 'o'.repeat(32),
    });
    expect(config.env).toBe('production');
    expect(() =>
      loadConfig({
        APP_ENV: 'production',
        APP_AUTH__JWT_SECRET: 'p'.repeat(48),
        APP_PAYMENTS__WEBHOOK_SECRET: 'w'.repeat(32),
      }),
    ).toThrow(/offers\.id_secret: the development default/);
  });

  it('validates the commercial shapes that domain/ prices with (domain/commercial.ts)', () => {
    // config/ may not import domain/: its zod-inferred types must stay equal to domain's by hand.
    expectTypeOf<TaxConfig>().toEqualTypeOf<commercial.TaxConfig>();
    expectTypeOf<PricingRuleConfig>().toEqualTypeOf<commercial.PricingRuleConfig>();
    expectTypeOf<BundleConfig>().toEqualTypeOf<commercial.BundleConfig>();
  });
});
