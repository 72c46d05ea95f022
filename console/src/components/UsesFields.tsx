import { Field } from './Field';

/** The uses fields as typed: a limit, and a refill (an interval and an amount), empty for none. */
export interface Uses {
  limit: string;
  interval: '' | 'daily' | 'monthly';
  amount: string;
}

const MAX_USES = 1_000_000_000;

/** A new token's uses: how many requests it may make, and how they refill. */
export function UsesFields({
  uses,
  onChange,
  errorAt,
}: {
  uses: Uses;
  onChange: (uses: Uses) => void;
  errorAt: (field: string) => string | null;
}) {
  const set = (part: Partial<Uses>) => onChange({ ...uses, ...part });
  return (
    <>
      <Field
        label="Uses limit"
        hint="How many requests it may make; then 429 USES_EXHAUSTED. Empty: no limit."
        error={errorAt('uses_limit')}
      >
        {(p) => (
          <input
            {...p}
            className="input"
            type="number"
            inputMode="numeric"
            min={1}
            max={MAX_USES}
            step={1}
            value={uses.limit}
            onChange={(e) => set({ limit: e.currentTarget.value })}
          />
        )}
      </Field>
      <Field
        label="Refill"
        hint="Sets the uses left back at the start of each UTC day or month."
        error={errorAt('refill')}
      >
        {(p) => (
          <select
            {...p}
            className="input"
            value={uses.interval}
            disabled={!uses.limit.trim()}
            onChange={(e) => set({ interval: e.currentTarget.value as Uses['interval'] })}
          >
            <option value="">No refill</option>
            <option value="daily">Daily</option>
            <option value="monthly">Monthly</option>
          </select>
        )}
      </Field>
      {uses.interval && uses.limit.trim() && (
        <Field label="Refill amount" hint="At most the uses limit.">
          {(p) => (
            <input
              {...p}
              className="input"
              type="number"
              inputMode="numeric"
              min={1}
              max={Number(uses.limit) || MAX_USES}
              step={1}
              required
              value={uses.amount}
              onChange={(e) => set({ amount: e.currentTarget.value })}
            />
          )}
        </Field>
      )}
    </>
  );
}
