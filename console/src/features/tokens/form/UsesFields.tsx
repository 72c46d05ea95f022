import { Field } from '../../../ui/forms/Field';
import { NumberInput } from '../../../ui/forms/inputs';

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
          <NumberInput
            {...p}
            max={MAX_USES}
            value={uses.limit}
            onChange={(limit) => set({ limit })}
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
            <NumberInput
              {...p}
              max={Number(uses.limit) || MAX_USES}
              required
              value={uses.amount}
              onChange={(amount) => set({ amount })}
            />
          )}
        </Field>
      )}
    </>
  );
}
