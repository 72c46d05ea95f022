import { DECORATORS } from '@nestjs/swagger';
import { getMetadataArgsStorage } from 'typeorm';
import * as before from '../../../test/fixtures/audit/before-codec';
import { CSV_HEADER } from './audit-codec';
import { AuditEvent } from '../store/audit-event.entity';
import {
  AUDIT_COLUMNS,
  AUDIT_FIELD_LIST,
  AuditEventFields,
  AuditEventView,
  ChainedEvent,
} from './audit-fields';
import { EVENT_TREE, isLeaf, JsonGroup } from './audit-json-shape';
import { AuditEventDto } from '../dto/audit.dto';

/** True only when A and B are the same type. */
type Equals<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const same = <A, B>(proof: Equals<A, B>) => proof;
type Flat<T> = T extends object ? { [K in keyof T]: Flat<T[K]> } : T;

describe('AUDIT_FIELDS', () => {
  it('derives the event types the code was written against', () => {
    expect(same<ChainedEvent, before.ChainedEvent>(true)).toBe(true);
    expect(same<AuditEventView, Flat<before.AuditEventView>>(true)).toBe(true);
    type Stored = Omit<AuditEvent, 'chainId'>;
    expect(same<Stored, AuditEventFields>(true)).toBe(true);
    expect(same<AuditEvent['userAgent'], string | null>(true)).toBe(true);
    expect(same<AuditEvent['occurredAt'], Date>(true)).toBe(true);
  });

  it('keeps the CSV header and the raw rows’ column order', () => {
    expect(AUDIT_COLUMNS).toEqual(before.AUDIT_COLUMNS);
    expect(CSV_HEADER).toBe(before.CSV_HEADER);
  });

  it('gives the entity one column per field, as the migrations made them, and its chain id', () => {
    const columns = getMetadataArgsStorage()
      .columns.filter((c) => c.target === AuditEvent)
      .map((c) => ({
        property: c.propertyName,
        column: c.options.name ?? c.propertyName,
        mode: c.mode,
        type: c.options.type,
        length: c.options.length,
        nullable: c.options.nullable ?? false,
      }));
    expect(columns).toEqual([
      {
        property: 'chainId',
        column: 'chainId',
        mode: 'regular',
        type: 'varchar',
        length: 64,
        nullable: false,
      },
      ...AUDIT_FIELD_LIST.map((f) => ({
        property: f.property,
        column: f.column,
        mode: 'regular',
        type: {
          uuid: 'uuid',
          text: 'varchar',
          integer: 'integer',
          instant: Date,
          json: 'text',
          sha256: 'varchar',
        }[f.type],
        length: f.type === 'text' ? f.length : f.type === 'sha256' ? 64 : undefined,
        nullable: f.nullable ?? false,
      })),
    ]);
    const primary = getMetadataArgsStorage().columns.filter(
      (c) => c.target === AuditEvent && c.options.primary,
    );
    expect(primary.map((c) => c.propertyName)).toEqual(['id']);
  });

  it('is what the OpenAPI document says an event is: keys, optional keys and nulls', () => {
    /** The schema of a DTO class as its Swagger decorators state it. */
    function documented(dto: { prototype: object }): unknown {
      const keys = (Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES_ARRAY, dto.prototype) ??
        []) as string[];
      return Object.fromEntries(
        keys.map((key) => {
          const name = key.slice(1);
          const property = Reflect.getMetadata(
            DECORATORS.API_MODEL_PROPERTIES,
            dto.prototype,
            name,
          ) as {
            type?: unknown;
            required?: boolean;
            nullable?: boolean;
          };
          const nested =
            typeof property.type === 'function' && property.type !== String
              ? documented(property.type)
              : 'value';
          return [
            name,
            { required: property.required !== false, nullable: !!property.nullable, nested },
          ];
        }),
      );
    }
    function declared(group: JsonGroup): unknown {
      return Object.fromEntries(
        group.members.map((m) => [
          m.key,
          isLeaf(m)
            ? {
                required: m.field.whenNull !== 'absent',
                nullable: !!m.field.nullable && m.field.whenNull === undefined,
                nested: 'value',
              }
            : {
                required: m.presentWith === null,
                nullable: m.nullWhenNull !== null,
                nested: declared(m),
              },
        ]),
      );
    }
    expect(documented(AuditEventDto)).toEqual(declared(EVENT_TREE));
  });
});
