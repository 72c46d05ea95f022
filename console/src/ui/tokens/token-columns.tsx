import type { Directory } from '../../api/directory';
import { Link, paths } from '../../router';
import type { Column } from '../lists/DataTable';
import { Clip } from '../names/Clip';
import { Holder } from '../names/Holder';

interface Named {
  id: string;
  name: string;
  preview: string;
  identity_id: string;
}

/** A token list's Name column: the name (linked to its page unless `linked` is false), and preview. */
export function nameColumn<T extends Named>(linked = true): Column<T> {
  return {
    header: 'Name',
    primary: true,
    cell: (t) => (
      <span className="name-stack">
        <Clip text={t.name}>{linked ? <Link to={paths.token(t.id)}>{t.name}</Link> : t.name}</Clip>
        <code className="muted small">{t.preview}</code>
      </span>
    ),
  };
}

/** A token list's Holder column: the holder by name, "you" for the caller. */
export function holderColumn<T extends Named>(me: string, directory: Directory): Column<T> {
  return {
    header: 'Holder',
    cell: (t) => <Holder id={t.identity_id} me={me} who={directory.byId.get(t.identity_id)} />,
  };
}
