/** A choice of a few, as a row of segments (radio buttons, so arrows move between them). */
export function Segmented<K extends string>({
  name,
  legend,
  value,
  options,
  onChange,
}: {
  name: string;
  legend: string;
  value: K;
  options: readonly (readonly [K, string])[];
  onChange: (k: K) => void;
}) {
  return (
    <fieldset className="segmented">
      <legend className="visually-hidden">{legend}</legend>
      {options.map(([k, label]) => (
        <label key={k} className={k === value ? 'segment on' : 'segment'}>
          <input
            type="radio"
            name={name}
            value={k}
            checked={k === value}
            onChange={() => onChange(k)}
          />
          {label}
        </label>
      ))}
    </fieldset>
  );
}
