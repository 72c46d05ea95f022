import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One scope a resource declares: what a person will be asked to consent to, in their words. */
export interface ResourceScope {
  name: string;
  description: string;
}

/**
 * A resource a business registers (an MCP server, an API): the audience its tokens will name
 * (RFC 8707), and the scopes it understands. `uri` is stored canonical, once per business.
 */
@Entity({ name: 'resources' })
export class Resource {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'uuid' })
  businessId!: string;

  @Column({ type: 'varchar', length: 256 })
  uri!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ type: 'simple-json' })
  scopes!: ResourceScope[];

  @Column({ type: Date })
  createdAt!: Date;

  @Column({ type: Date })
  updatedAt!: Date;

  /** Who last set it: an email, or `machine:<name>`. */
  @Column({ type: 'varchar', length: 340 })
  updatedBy!: string;
}
