import { envelope } from '../../common/http/envelope';
import type { Page } from '../../common/validation/pagination';
import type { AuditFieldType } from './audit-fields';
import { EVENT_TREE, planOf, SHAPE_FIELDS, shapeOf } from './audit-json-shape';
import { AuditRow, pgInstant, RowDialect, sqliteInstant, viewMetadataJson } from './audit-row';
import { jsonString, writesAsIs } from './wire-text';

/**
 * A page of events as the API sends it, envelope included, written once as UTF-8 bytes straight
 * from the driver's rows: the bytes `JSON.stringify` gives for the envelope of the rows' views
 * (`viewOfRow`, the reference it is tested against), without the views, their parsed metadata,
 * the whole page's text, or the copies Fastify and the socket made of that text. Those were most
 * of what a page allocated, and the collector's pauses they cost were the list's p99
 * (docs/performance.md, "The audit log at scale").
 */
export function pageJson(page: Page<AuditRow>, dialect: RowDialect): Buffer {
  const out = new JsonBytes(page.items.length * 1024 + 256);
  const instant = dialect === 'postgres' ? pgInstant : sqliteInstant;
  out.bytes(SHELL.head);
  for (let i = 0; i < page.items.length; i++) {
    if (i > 0) out.byte(COMMA);
    writeEvent(out, page.items[i], instant);
  }
  out.bytes(SHELL.middle);
  out.text(jsonString(page.next_cursor));
  out.bytes(SHELL.tail);
  return out.done();
}

/** A plan of the event's JSON (`planOf`) with its literals as bytes, one per row shape. */
interface BytePlan {
  literals: Buffer[];
  slots: number[];
  types: AuditFieldType[];
}

const plans: BytePlan[] = new Array<BytePlan>(1 << SHAPE_FIELDS.length);

function planFor(shape: number): BytePlan {
  let plan = plans[shape];
  if (plan === undefined) {
    const { literals, slots, types } = planOf(EVENT_TREE, shape, false);
    plan = { literals: literals.map((l) => Buffer.from(l)), slots, types };
    plans[shape] = plan;
  }
  return plan;
}

const QUOTE = 0x22;
const COMMA = 0x2c;

function writeEvent(out: JsonBytes, row: AuditRow, instant: (value: unknown) => string): void {
  const { literals, slots, types } = planFor(shapeOf(row));
  out.bytes(literals[0]);
  for (let k = 0; k < slots.length; k++) {
    const value = row[slots[k]];
    switch (types[k]) {
      case 'integer':
        out.text(JSON.stringify(Number(value)));
        break;
      case 'instant':
        out.quoted(instant(value));
        break;
      case 'json':
        out.text(viewMetadataJson(value));
        break;
      case 'uuid':
      case 'text':
      case 'sha256':
        if (typeof value === 'string' && writesAsIs(value)) out.quoted(value);
        else out.text(jsonString(value));
    }
    out.bytes(literals[k + 1]);
  }
}

/** The envelope's JSON around a page, cut where its items and its cursor go. */
const SHELL = (() => {
  const text = JSON.stringify(envelope({ items: [], next_cursor: null }));
  const items = text.indexOf('"items":[]') + '"items":['.length;
  const cursor = text.indexOf('"next_cursor":null') + '"next_cursor":'.length;
  if (items < '"items":['.length || cursor < items) {
    throw new Error(`the envelope of a page is not what the page writer expects: ${text}`);
  }
  return {
    head: Buffer.from(text.slice(0, items)),
    middle: Buffer.from(text.slice(items, cursor)),
    tail: Buffer.from(text.slice(cursor + 'null'.length)),
  };
})();

/** UTF-8 bytes written in place into one buffer, which doubles when it must. */
class JsonBytes {
  private buffer: Buffer;
  private at = 0;

  constructor(size: number) {
    this.buffer = Buffer.allocUnsafe(size);
  }

  byte(b: number): void {
    this.room(1);
    this.buffer[this.at++] = b;
  }

  bytes(bytes: Buffer): void {
    this.room(bytes.length);
    this.at += bytes.copy(this.buffer, this.at);
  }

  text(text: string): void {
    // A UTF-16 unit is at most 3 bytes of UTF-8 (a surrogate pair, two units, 4).
    this.room(text.length * 3);
    this.at += this.buffer.write(text, this.at);
  }

  /** `"text"`, for text that needs no escaping. */
  quoted(text: string): void {
    this.room(text.length * 3 + 2);
    this.buffer[this.at++] = QUOTE;
    this.at += this.buffer.write(text, this.at);
    this.buffer[this.at++] = QUOTE;
  }

  done(): Buffer {
    return this.buffer.subarray(0, this.at);
  }

  private room(n: number): void {
    if (this.at + n <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.at + n));
    this.buffer.copy(grown, 0, 0, this.at);
    this.buffer = grown;
  }
}
