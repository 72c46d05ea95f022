import { Column, Entity, PrimaryColumn } from 'typeorm';

export type IdentityKind = 'user' | 'machine';

/** A principal: a person (by email, across businesses) or a machine (by name, in one business). */
@Entity({ name: 'identities' })
export class Identity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: IdentityKind;

  /** Lowercased; unique among users. Null for machines. */
  @Column({ type: 'varchar', length: 320, nullable: true })
  email!: string | null;

  /** A machine's name, unique among the live machines of its business. Null for users. */
  @Column({ type: 'varchar', length: 100, nullable: true })
  name!: string | null;

  /** The business a machine belongs to. Null for users. */
  @Column({ type: 'uuid', nullable: true })
  businessId!: string | null;

  @Column({ type: 'boolean', default: false })
  isPlatformAdmin!: boolean;

  @Column({ type: Date })
  createdAt!: Date;

  /** Machines are deleted softly, so their tokens and audit trail keep a subject. */
  @Column({ type: Date, nullable: true })
  deletedAt!: Date | null;
}
