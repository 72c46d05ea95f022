import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useId, useState, type FormEvent } from 'react';
import type { AuditApi, AuditFilters } from '../../api/resources/audit.api';
import { asApiError } from '../../api/errors';
import { saveBlob } from '../../api/download';
import { claimedSize } from './proof/checkpoint';
import { proveGrowth, type GrowthVerdict } from './proof/prove-growth';
import { ErrorBox } from '../../ui/ErrorBox';
import { Empty, Loading } from '../../ui/Status';
import { IconExport, IconVerify } from '../../ui/brand/icons';

function VerifyChain({ audit }: { audit: AuditApi }) {
  const verify = useMutation({ mutationFn: () => audit.verify() });
  const v = verify.data;
  return (
    <section className="card" aria-labelledby="verify">
      <h2 id="verify">Hash chain</h2>
      <p className="muted">
        The server recomputes every event's hash, and each signed checkpoint's tree.
      </p>
      <div className="actions">
        <button
          type="button"
          className="button"
          disabled={verify.isPending}
          onClick={() => verify.mutate()}
        >
          <IconVerify />
          Verify chain
        </button>
      </div>
      {verify.isPending && <Loading>Verifying…</Loading>}
      <ErrorBox error={verify.error} />
      {v && (
        <p className={v.valid ? 'verdict ok' : 'verdict bad'} role="status">
          {v.valid
            ? `Chain valid: ${v.checked} events checked, ${v.checkpoints_checked} signed checkpoints hold.`
            : `Chain invalid: first bad seq ${v.first_invalid_seq ?? '?'} (${v.checked} events checked).`}
        </p>
      )}
    </section>
  );
}

/** A Blob URL for the text, revoked when it changes or the page goes. */
function useTextUrl(text: string | undefined): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (text === undefined) return;
    const u = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
    setUrl(u);
    return () => {
      URL.revokeObjectURL(u);
      setUrl(null);
    };
  }, [text]);
  return url;
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function ProveGrowth({ audit }: { audit: AuditApi }) {
  const id = useId();
  const [file, setFile] = useState<File | null>(null);
  const prove = useMutation({
    mutationFn: async (f: File): Promise<GrowthVerdict> => {
      let savedNote: string;
      try {
        savedNote = decoder.decode(await f.arrayBuffer());
      } catch {
        return { ok: false, message: 'Not proved: the file is not UTF-8 text.' };
      }
      const [keyText, latestNote] = await Promise.all([audit.verifierKey(), audit.checkpoint()]);
      return proveGrowth({
        keyText,
        savedNote,
        latestNote,
        fetchProof: (m, n) => audit.consistency(m, n),
      });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (file) prove.mutate(file);
  };
  return (
    <form className="form" onSubmit={submit}>
      <h3>Prove growth</h3>
      <p className="muted">
        Pick a checkpoint you saved earlier: this browser checks both signatures with the
        installation's public key, and the RFC 6962 proof that the log only grew since.
      </p>
      <div className="field">
        <label htmlFor={id}>Saved checkpoint</label>
        <input
          id={id}
          className="input"
          type="file"
          accept=".txt,text/plain"
          onChange={(e) => {
            setFile(e.currentTarget.files?.[0] ?? null);
            prove.reset();
          }}
        />
      </div>
      <div className="actions">
        <button type="submit" className="button" disabled={prove.isPending}>
          Prove growth
        </button>
      </div>
      {!file && prove.isIdle && <p className="hint">Choose a file first.</p>}
      {prove.isPending && <Loading>Checking…</Loading>}
      <ErrorBox error={prove.error} />
      {prove.data && (
        <p
          className={prove.data.ok ? 'verdict ok' : 'verdict bad'}
          role={prove.data.ok ? 'status' : 'alert'}
        >
          {prove.data.message}
        </p>
      )}
    </form>
  );
}

function Checkpoint({ audit }: { audit: AuditApi }) {
  const checkpoint = useQuery({
    queryKey: [...audit.key, 'checkpoint'],
    queryFn: () => audit.checkpoint(),
    retry: false,
  });
  const note = checkpoint.data;
  const url = useTextUrl(note);
  const size = note ? claimedSize(note) : null;
  const missing = checkpoint.isError && asApiError(checkpoint.error).status === 404;
  return (
    <section className="card" aria-labelledby="checkpoint">
      <h2 id="checkpoint">Latest signed checkpoint</h2>
      <p className="muted">
        A signed note (C2SP tlog-checkpoint) of the log's Merkle tree. Keep one somewhere the
        database's writers cannot reach; later, prove that the log only grew since.
      </p>
      {checkpoint.isPending && <Loading />}
      {missing && <Empty>No signed checkpoint yet: {asApiError(checkpoint.error).message}</Empty>}
      {checkpoint.isError && !missing && <ErrorBox error={checkpoint.error} />}
      {note && (
        <>
          <pre className="pre" aria-label="Checkpoint note">
            {note}
          </pre>
          <div className="actions">
            {url && (
              <a className="button" href={url} download={`checkpoint-${size ?? 'latest'}.txt`}>
                <IconExport />
                Download checkpoint
              </a>
            )}
            <button
              type="button"
              className="button ghost"
              disabled={checkpoint.isFetching}
              onClick={() => void checkpoint.refetch()}
            >
              Refresh
            </button>
          </div>
        </>
      )}
      <ProveGrowth audit={audit} />
    </section>
  );
}

function Export({ audit, filters }: { audit: AuditApi; filters: AuditFilters }) {
  const exporting = useMutation({
    mutationFn: async (format: 'ndjson' | 'csv') => {
      const blob = await audit.exportFile(format, filters);
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      saveBlob(blob, `audit-${audit.scope}-${stamp}.${format}`);
    },
  });
  return (
    <section className="card" aria-labelledby="export">
      <h2 id="export">Export</h2>
      <p className="muted">
        The events that match the filters above, oldest first. The NDJSON export of a whole chain
        ends with its signed checkpoint, so it verifies alone.
      </p>
      <div className="actions">
        <button
          type="button"
          className="button"
          disabled={exporting.isPending}
          onClick={() => exporting.mutate('ndjson')}
        >
          <IconExport />
          Export NDJSON
        </button>
        <button
          type="button"
          className="button"
          disabled={exporting.isPending}
          onClick={() => exporting.mutate('csv')}
        >
          <IconExport />
          Export CSV
        </button>
      </div>
      {exporting.isPending && <Loading>Exporting…</Loading>}
      <ErrorBox error={exporting.error} />
    </section>
  );
}

/** Verify, the signed checkpoint with its proof of growth, and the exports. */
export function AuditIntegrity({ audit, filters }: { audit: AuditApi; filters: AuditFilters }) {
  return (
    <div className="integrity">
      <VerifyChain audit={audit} />
      <Checkpoint audit={audit} />
      <Export audit={audit} filters={filters} />
    </div>
  );
}
