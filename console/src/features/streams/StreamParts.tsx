import {
  useDeleteStream,
  useSetStreamStatus,
  type StreamRow,
  type StreamState,
} from './streams.api';
import { useBusiness } from '../../session';
import { ConfirmDialog } from '../../ui/dialogs/ConfirmDialog';
import { ReasonDialog } from '../../ui/dialogs/ReasonDialog';
import { Badge } from '../../ui/lists/Table';

const TONES: Record<StreamState, string> = { enabled: 'ok', paused: 'warn', disabled: 'bad' };

/** A stream's status, and why, when its receiver or the worker said. */
export function StreamStatusBadge({ row }: { row: StreamRow }) {
  const { status, reason } = row.status;
  return (
    <span className="name-stack">
      <Badge tone={TONES[status]}>{status}</Badge>
      {reason && <span className="muted small wrap">{reason}</span>}
    </span>
  );
}

/** The endpoint a stream pushes to, as a person reads it. */
export function endpointOf(row: StreamRow): string {
  return row.config.delivery.endpoint_url;
}

/** What pausing and disabling do, as each dialog says it before asking why. */
const STOPS = {
  paused: {
    title: 'Pause the stream',
    confirm: 'Pause stream',
    busy: 'Pausing…',
    done: 'Paused the stream: its events are held until it is enabled.',
    says: 'Events are held, not sent, and sent in order once the stream is enabled again.',
  },
  disabled: {
    title: 'Disable the stream',
    confirm: 'Disable stream',
    busy: 'Disabling…',
    done: 'Disabled the stream: its events are dropped until it is enabled.',
    says: 'Events are dropped, those held while it was paused as well, until it is enabled again. No verification event is sent to a disabled stream.',
  },
} as const;

/** Pausing or disabling a stream: what it does, then a required reason, which the stream shows. */
export function StopStreamDialog({
  row,
  to,
  onClose,
  onDone,
}: {
  row: StreamRow;
  to: keyof typeof STOPS;
  onClose: () => void;
  onDone: (message: string) => void;
}) {
  const stop = STOPS[to];
  const change = useSetStreamStatus();
  return (
    <ReasonDialog
      title={stop.title}
      confirm={stop.confirm}
      busy={stop.busy}
      hint="Shown with the stream's status, and in the audit log (at most 500 characters)."
      run={(reason) => change.mutateAsync({ stream_id: row.config.stream_id, status: to, reason })}
      onClose={onClose}
      onDone={() => onDone(stop.done)}
    >
      <p>
        <span className="wrap">{endpointOf(row)}</span>: {stop.says}
      </p>
    </ReasonDialog>
  );
}

/** Delete's confirmation: the receiver hears no more, and what it was not yet sent is dropped. */
export function DeleteStreamDialog({
  row,
  onClose,
  onDone,
}: {
  row: StreamRow;
  onClose: () => void;
  onDone: (message: string) => void;
}) {
  const { business } = useBusiness();
  const remove = useDeleteStream(() => onDone('Deleted the stream.'));
  return (
    <ConfirmDialog
      title="Delete the stream"
      confirm="Delete stream"
      mutation={remove}
      subject={row}
      onClose={onClose}
    >
      <p>
        <span className="wrap">{endpointOf(row)}</span> is told of no more token changes in{' '}
        {business.name}, and what it was not yet sent is dropped. This cannot be undone; to stop it
        for a while, pause it instead.
      </p>
    </ConfirmDialog>
  );
}
