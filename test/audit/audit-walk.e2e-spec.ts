import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { AuditEntry } from '../../src/audit/audit-entry';
import type { AuditEvent } from '../../src/audit/store/audit-event.entity';
import { AuditAppender } from '../../src/audit/recording/audit-appender';
import { AuditService } from '../../src/audit/query/audit.service';
import { UnitOfWork } from '../../src/database/units/unit-of-work';
import { createBusiness, createToken } from '../factories/tenancy.factory';
import { auditView, CSV_HEADER, csvLine, ndjsonLine } from '../fixtures/audit/before-codec';
import { asOwner } from '../harness/app/api';
import { auditAppendOnly } from '../harness/app/db';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/**
 * Export and verify walk raw rows (the codec, audit-codec.ts), and on PostgreSQL verify splits a
 * long chain between worker threads. Here, through the real app on each driver: the bytes of an
 * export are what the entity path wrote before the codec (`auditView`, then `ndjsonLine` or
 * `csvLine`, kept in test/fixtures/audit/before-codec.ts) for the same rows,
 * hostile text included; and the verdict of workers is the verdict of one walk, whatever was
 * tampered with.
 */
describe.each(DRIVERS)('audit walks on %s', (driver) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootTestApp(driver);
  });

  afterAll(async () => {
    await t?.close();
  });

  /** The chain as the repository read it before walks took raw rows: entity by entity. */
  async function entities(chainId: string): Promise<AuditEvent[]> {
    const rows = await t.sql<Record<string, unknown>>(
      'SELECT * FROM audit_events WHERE chain_id = ? ORDER BY seq',
      [chainId],
    );
    return rows.map((row) => {
      const event: Record<string, unknown> = {};
      for (const [column, value] of Object.entries(row)) {
        event[column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = value;
      }
      const at = event.occurredAt;
      event.occurredAt = at instanceof Date ? at : new Date(`${String(at).replace(' ', 'T')}Z`);
      event.seq = Number(event.seq);
      return event as unknown as AuditEvent;
    });
  }

  async function exported(biz: { id: string; ownerToken: string }, format: 'ndjson' | 'csv') {
    const res = await t
      .http()
      .get('/api/v1/audit-events/export')
      .query({ format })
      .set(asOwner(biz))
      .buffer(true)
      .parse((stream, done) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => done(null, Buffer.concat(chunks).toString('utf8')));
      });
    expect(res.status).toBe(200);
    return res.body as string;
  }

  /** Text no request could bring, appended below HTTP as a job or the CLI could. */
  async function appendHostile(businessId: string, count: number) {
    const uow = t.app.get(UnitOfWork);
    const audit = t.app.get(AuditAppender);
    const texts = [
      '=cmd|"/c calc"!A1',
      'line\nbreak\r\n"quoted", comma',
      'lone \ud800 high and \udc00 low, NUL \0 here',
      '\u2028\u2029\u0085\ufeff\u{1f468}\u200d\u{1f469}',
      '-@+\t\x1b\x7f',
      'zoë 😀 \\ backslash',
    ];
    for (let i = 0; i < count; i++) {
      const text = texts[i % texts.length];
      const entry: AuditEntry = {
        businessId,
        action: `token.created${i % 2 ? text : ''}`,
        outcome: i % 3 ? 'success' : 'failure',
        actor: {
          id: randomUUID(),
          type: 'user',
          label: text,
          tokenId: i % 2 ? randomUUID() : null,
          issuedBy: i % 4 === 1 ? null : { id: i % 3 ? randomUUID() : null, label: text },
        },
        target: { type: 'token', id: i % 5 ? randomUUID() : null, label: i % 2 ? text : null },
        origin: {
          channel: i % 2 ? 'cli' : 'system',
          requestId: i % 2 ? text : null,
          ip: i % 3 ? '::1' : null,
          userAgent: text,
        },
        metadata: {
          [text]: text,
          '10': 1,
          '9': [text, 1.5, -0, 1e21, null, { z: true, a: false }],
          nested: { b: text, a: i },
        },
      };
      await uow.run((tx) => audit.append(entry, tx));
    }
  }

  it('exports NDJSON and CSV byte for byte as the entity path wrote them, hostile text included', async () => {
    const biz = await createBusiness(t);
    await createToken(t, asOwner(biz), { name: '=HYPERLINK("x") "quoted"' });
    await appendHostile(biz.id, 24);
    const events = (await entities(biz.id)).map(auditView);
    // member.added and the first token.created, the token above, then the hostile ones.
    expect(events.length).toBe(27);
    expect(await exported(biz, 'ndjson')).toBe(events.map(ndjsonLine).join(''));
    expect(await exported(biz, 'csv')).toBe(CSV_HEADER + events.map(csvLine).join(''));
  });

  it('exports a chain longer than one batch and one chunk in order, each line once', async () => {
    const biz = await createBusiness(t);
    await appendHostile(biz.id, 1_050);
    const events = (await entities(biz.id)).map(auditView);
    const body = await exported(biz, 'ndjson');
    expect(body).toBe(events.map(ndjsonLine).join(''));
    expect(body.split('\n').length - 1).toBe(1_052);
  });

  describe('verify in workers', () => {
    const allowTampering = () => auditAppendOnly(t, false);
    const restoreGuard = () => auditAppendOnly(t, true);

    /** Where a chain is split into stretches for workers: lowered here to walk short chains. */
    const splitFrom = (seq: number) => {
      const service: { splitsAt(lastSeq: number): boolean } = t.app.get(AuditService, {
        strict: false,
      });
      jest.spyOn(service, 'splitsAt').mockImplementation((lastSeq) => lastSeq >= seq);
    };

    afterEach(async () => {
      await restoreGuard();
      jest.restoreAllMocks();
    });

    /** The verdict with every chain walked by workers (PostgreSQL), and by one pass. */
    async function verdicts(biz: { id: string; ownerToken: string }) {
      const verify = async () =>
        (await t.http().get('/api/v1/audit-events/verify').set(asOwner(biz)).expect(200)).body
          .data as unknown;
      splitFrom(0);
      // Workers that failed would be walked around on the main thread, with a warning.
      const warn = jest.spyOn(Logger.prototype, 'warn');
      const split = await verify();
      expect(warn.mock.calls.filter(([m]) => String(m).includes('verify workers'))).toEqual([]);
      warn.mockRestore();
      splitFrom(Number.POSITIVE_INFINITY);
      return { split, oneWalk: await verify() };
    }

    const tamperings: [string, string, number | null][] = [
      ['nothing', '', null],
      [
        'an edit before the middle',
        "UPDATE audit_events SET target_label = 'x' WHERE chain_id = ? AND seq = 3",
        3,
      ],
      [
        'an edit at the first row after the middle',
        "UPDATE audit_events SET action = 'x' WHERE chain_id = ? AND seq = 7",
        7,
      ],
      [
        'the last row before the middle, deleted',
        'DELETE FROM audit_events WHERE chain_id = ? AND seq = 6',
        6,
      ],
      [
        'the first row after the middle, deleted',
        'DELETE FROM audit_events WHERE chain_id = ? AND seq = 7',
        7,
      ],
      [
        'a moved prev_hash at the middle',
        'UPDATE audit_events SET prev_hash = hash WHERE chain_id = ? AND seq = 7',
        7,
      ],
      [
        'the whole second half, deleted',
        'DELETE FROM audit_events WHERE chain_id = ? AND seq > 6',
        7,
      ],
      ['the tail, deleted', 'DELETE FROM audit_events WHERE chain_id = ? AND seq = 12', 12],
    ];

    it.each(tamperings)(
      'gives one walk’s verdict after %s',
      async (_name, sql, invalidAt) => {
        const biz = await createBusiness(t);
        // member.added and the owner's first token.created, then ten more: seq 1..12.
        for (let i = 0; i < 10; i++) await createToken(t, asOwner(biz), { name: `t${i}` });
        if (sql) {
          await allowTampering();
          await t.sql(sql, [biz.id]);
        }
        const { split, oneWalk } = await verdicts(biz);
        expect(split).toEqual(oneWalk);
        expect(oneWalk).toMatchObject({ valid: invalidAt === null, first_invalid_seq: invalidAt });
      },
      60_000,
    );
  });
});
