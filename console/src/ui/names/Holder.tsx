import type { Named as Person } from '../../api/directory';
import { IdToggle } from './IdToggle';
import { Named } from './Named';

/**
 * Who holds a token, or is acted on: "you", a person's email, a machine's name (tagged), or, for
 * an identity the console cannot name, "someone" with the id one click away.
 */
export function Holder({
  id,
  me,
  who,
}: {
  id: string;
  me: string;
  who: Pick<Person, 'kind' | 'label'> | undefined;
}) {
  if (id === me) return <span>you</span>;
  if (!who) {
    return (
      <span className="named">
        <span className="muted">someone else</span>
        <IdToggle id={id} of="this holder" />
      </span>
    );
  }
  return <Named type={who.kind} label={who.label} kind={who.kind === 'machine'} />;
}
