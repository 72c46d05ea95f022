import { AnalyticsConfig } from './sections/features/analytics-config';
import { AuditConfig } from './sections/features/audit-config';
import { CoreConfig } from './sections/core-config';
import { DatabaseConfig } from './sections/storage/database-config';
import { DpopConfig } from './sections/security/dpop-config';
import { EmailConfig } from './sections/features/email-config';
import { FederationConfig } from './sections/security/federation-config';
import { OAuthClientsConfig } from './sections/security/oauth-clients-config';
import { RedisTopologyConfig } from './sections/storage/redis-topology-config';
import { ReplicaConfig } from './sections/storage/replica-config';
import { SigningConfig } from './sections/security/signing-config';
import { SsoConfig } from './sections/security/sso-config';
import { StatusListConfig } from './sections/features/status-list-config';
import { WebhookConfig } from './sections/features/webhook-config';

/**
 * The sections the configuration is composed of, side by side: each a class of its own with its
 * variables and their rules, validated alone (`loadConfig`), so a new section touches no other.
 * The interface `AppConfig` merges with names the same sections; `config-sections.spec.ts` fails
 * the typecheck when the two lists differ.
 */
export const CONFIG_SECTIONS = [
  CoreConfig,
  DatabaseConfig,
  ReplicaConfig,
  RedisTopologyConfig,
  SigningConfig,
  DpopConfig,
  AuditConfig,
  WebhookConfig,
  FederationConfig,
  OAuthClientsConfig,
  StatusListConfig,
  AnalyticsConfig,
  EmailConfig,
  SsoConfig,
] as const;

/** Every section's settings and derived values, read as one object (declaration merging). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface AppConfig
  extends
    CoreConfig,
    DatabaseConfig,
    ReplicaConfig,
    RedisTopologyConfig,
    SigningConfig,
    DpopConfig,
    AuditConfig,
    WebhookConfig,
    FederationConfig,
    OAuthClientsConfig,
    StatusListConfig,
    AnalyticsConfig,
    EmailConfig,
    SsoConfig {}

/**
 * The validated environment. Every setting the service has is here, under the name of its
 * environment variable, and nothing else in the code reads `process.env`. It holds no setting of
 * its own: each comes from a section (the installation-wide ones from `CoreConfig`, where the
 * database is from `DatabaseConfig`, where Redis is from `RedisTopologyConfig`). A new instance
 * holds every section's defaults.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class AppConfig {
  constructor() {
    for (const Section of CONFIG_SECTIONS) Object.assign(this, new Section());
  }
}

// A section's derived values (`databaseDriver`, `redisTopology`, …) read from the one object.
for (const Section of CONFIG_SECTIONS) {
  for (const [name, descriptor] of Object.entries(
    Object.getOwnPropertyDescriptors(Section.prototype),
  )) {
    if (name !== 'constructor') Object.defineProperty(AppConfig.prototype, name, descriptor);
  }
}
