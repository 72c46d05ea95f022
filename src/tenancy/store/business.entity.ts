import { Column, Entity, PrimaryColumn } from 'typeorm';

export type BusinessStatus = 'active' | 'suspended';

@Entity({ name: 'businesses' })
export class Business {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: BusinessStatus;

  @Column({ type: Date })
  createdAt!: Date;
}
