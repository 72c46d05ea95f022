import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A token's requests in one UTC hour: every answered request it authenticated, and of those the
 * 2xx, the 4xx, and those the admin console made (`console_requests`). Written by `TokenUsageRecorder` as additive upserts, so instances add up.
 */
@Entity({ name: 'token_usage_hours' })
export class TokenUsageHour {
  @PrimaryColumn({ type: 'uuid' })
  tokenId!: string;

  /** The start of the hour (UTC, on the hour). */
  @PrimaryColumn({ type: Date })
  hour!: Date;

  @Column({ type: 'uuid' })
  businessId!: string;

  @Column({ type: 'integer' })
  requests!: number;

  @Column({ type: 'integer' })
  okCount!: number;

  @Column({ type: 'integer' })
  clientErrorCount!: number;

  @Column({ type: 'integer', default: 0 })
  consoleRequests!: number;
}

/** A client address a token was used from, and when last; at most 10 kept per token. */
@Entity({ name: 'token_usage_ips' })
export class TokenUsageIp {
  @PrimaryColumn({ type: 'uuid' })
  tokenId!: string;

  /** Canonical (`clientIp`): IPv4 dotted, IPv6 as RFC 5952 writes it. */
  @PrimaryColumn({ type: 'varchar', length: 45 })
  ip!: string;

  @Column({ type: 'uuid' })
  businessId!: string;

  @Column({ type: Date })
  lastSeenAt!: Date;
}
