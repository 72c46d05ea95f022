import type { Answer, GroupKey } from '../../api/resources/analytics.api';

/** One stacked part of the chart: an outcome or a tag, its label, and its colour's class. */
export interface Series {
  key: string;
  label: string;
  tone: string;
}

/** A bucket of the chart: when it starts (ms), and its count per series key. */
export interface ChartBucket {
  start: number;
  counts: Map<string, number>;
}

/**
 * Every outcome the server counts, in the order they stack (valid at the bottom, then the
 * refusals from the token's own state to the caller's), each with its label.
 */
export const OUTCOMES: readonly (readonly [string, string])[] = [
  ['valid', 'Valid'],
  ['revoked', 'Revoked'],
  ['expired', 'Expired'],
  ['disabled', 'Disabled'],
  ['rate_limited', 'Rate limited'],
  ['credits_exhausted', 'Credits exhausted'],
  ['uses_exhausted', 'Uses exhausted'],
  ['ip_not_allowed', 'IP not allowed'],
  ['insufficient_scope', 'Insufficient scope'],
  ['business_refused', 'Business refused'],
  ['refused', 'Refused'],
  ['unknown', 'Unknown token'],
];

const OUTCOME_LABEL = new Map(OUTCOMES);
export const outcomeLabel = (o: string) => OUTCOME_LABEL.get(o) ?? o;

/** Tags beyond this many (the busiest first) are stacked together as "Other tags". */
const TAGS_SHOWN = 7;
const OTHER = '\u0000other';

/** A tag as a person reads it: none is "(no tag)"; the server's overflow keeps its name. */
export const tagLabel = (tag: string) => (tag === '' ? '(no tag)' : tag);

/** The buckets of an answer split by one key (outcome or tag), and the series they show. */
export function chartOf(answer: Answer, by: Extract<GroupKey, 'outcome' | 'tag'>) {
  const totals = new Map<string, number>();
  for (const b of answer.buckets) {
    for (const c of b.counts) {
      const key = (by === 'outcome' ? c.outcome : c.tag) ?? '';
      totals.set(key, (totals.get(key) ?? 0) + c.count);
    }
  }
  let series: Series[];
  let fold = (key: string) => key;
  if (by === 'outcome') {
    series = OUTCOMES.filter(([o]) => totals.has(o)).map(([key, label]) => ({
      key,
      label,
      tone: `tone-${key.replace(/_/g, '-')}`,
    }));
  } else {
    const busiest = [...totals.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const shown = busiest.slice(0, TAGS_SHOWN).map(([k]) => k);
    series = shown.map((key, i) => ({ key, label: tagLabel(key), tone: `tone-tag-${i}` }));
    if (busiest.length > TAGS_SHOWN) {
      series.push({ key: OTHER, label: 'Other tags', tone: 'tone-tag-other' });
      const kept = new Set(shown);
      fold = (key) => (kept.has(key) ? key : OTHER);
    }
  }
  const buckets: ChartBucket[] = answer.buckets.map((b) => {
    const counts = new Map<string, number>();
    for (const c of b.counts) {
      const key = fold((by === 'outcome' ? c.outcome : c.tag) ?? '');
      counts.set(key, (counts.get(key) ?? 0) + c.count);
    }
    return { start: Date.parse(b.start), counts };
  });
  return { series, buckets };
}
