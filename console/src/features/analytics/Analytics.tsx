import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useBusinessNames, useDirectory } from '../../api/directory';
import { ErrorBox } from '../../ui/ErrorBox';
import { Holder } from '../../ui/names/Holder';
import { Clip } from '../../ui/names/Clip';
import { PageHead } from '../../ui/PageHead';
import { Loading } from '../../ui/Status';
import { IconExport } from '../../ui/brand/icons';
import { useSession, type Session } from '../../session';
import { saveBlob } from '../../api/download';
import { useIdentityNames } from '../../api/resources/identity-names.api';
import {
  exportVerifications,
  CLIENTS,
  STEP_MS,
  useTokenViews,
  useVerifications,
  WINDOWS,
  type AnalyticsScope,
  type Client,
  type CountQuery,
  type WindowKey,
} from '../../api/resources/analytics.api';
import { Segmented } from '../../ui/charts/Segmented';
import { StackedChart } from '../../ui/charts/StackedChart';
import { chartOf } from '../../ui/charts/series';
import { topOf, TopTables, type Namers } from './TopTables';

type ChartGroup = 'outcome' | 'tag';
const GROUPS: Record<ChartGroup, string> = { outcome: 'By outcome', tag: 'By tag' };
/** The top lists read the window by holder, token and outcome. */
const TOP_GROUPS: CountQuery['groupBy'] = ['identity', 'token', 'outcome'];
/** An export holds every split the screen reads. */
const EXPORT_GROUPS: CountQuery['groupBy'] = ['outcome', 'tag', 'token', 'identity'];

/** What every read of the screen shares: its scope, window and whose calls. */
interface Reading {
  scope: AnalyticsScope;
  window: WindowKey;
  client: Client;
}

function Chart({ scope, window, client, group }: Reading & { group: ChartGroup }) {
  const counts = useVerifications(scope, { window, groupBy: [group], client });
  const a = counts.data;
  const chart = a && chartOf(a, group);
  const step = STEP_MS[a?.granularity ?? WINDOWS[window].granularity];
  return (
    <section className="card" aria-labelledby="over-time">
      <h2 id="over-time">
        Verifications {group === 'outcome' ? 'by outcome' : 'by tag'},{' '}
        {WINDOWS[window].label.toLowerCase()}: {CLIENTS[client].label.toLowerCase()}
      </h2>
      {counts.isPending && <Loading />}
      <ErrorBox error={counts.error} />
      {a && chart && (
        <StackedChart
          label={`Verifications per ${a.granularity} ${group === 'outcome' ? 'by outcome' : 'by tag'}`}
          from={Date.parse(a.from)}
          to={Date.parse(a.to)}
          step={step}
          buckets={chart.buckets}
          series={chart.series}
        />
      )}
    </section>
  );
}

function BusinessTop({ window, client }: Omit<Reading, 'scope'>) {
  const { whoami } = useSession();
  const directory = useDirectory();
  const answer = useVerifications('business', { window, groupBy: TOP_GROUPS, client });
  const top = topOf(answer.data);
  const views = useTokenViews(
    'business',
    top.tokens.flatMap((r) => (r.id ? [{ id: r.id, identityId: r.identityId }] : [])),
  );
  const names: Namers = {
    linked: true,
    holder: (id) => <Holder id={id} me={whoami.identity.id} who={directory.byId.get(id)} />,
  };
  return (
    <>
      <ErrorBox error={answer.error} />
      {answer.data && <TopTables top={top} views={views} names={names} />}
    </>
  );
}

function PlatformTop({ window, client }: Omit<Reading, 'scope'>) {
  const { whoami } = useSession();
  const answer = useVerifications('platform', { window, groupBy: TOP_GROUPS, client });
  const top = topOf(answer.data);
  const views = useTokenViews(
    'platform',
    top.tokens.flatMap((r) => (r.id ? [{ id: r.id, identityId: r.identityId }] : [])),
  );
  const people = useIdentityNames(top.identities.flatMap((r) => (r.id ? [r.id] : [])));
  const businesses = useBusinessNames();
  const names: Namers = {
    linked: false,
    holder: (id) => {
      const who = people.get(id);
      return (
        <Holder id={id} me={whoami.identity.id} who={who && { kind: who.kind, label: who.label }} />
      );
    },
    business: (id) =>
      id ? (
        <Clip text={businesses.get(id) ?? 'a business'} />
      ) : (
        <span className="muted">platform</span>
      ),
  };
  return (
    <>
      <ErrorBox error={answer.error} />
      {answer.data && <TopTables top={top} views={views} names={names} />}
    </>
  );
}

function ExportButtons({ scope, window, client }: Reading) {
  const session: Session = useSession();
  const exporting = useMutation({
    mutationFn: async (format: 'ndjson' | 'csv') => {
      const blob = await exportVerifications(
        session,
        scope,
        { window, groupBy: EXPORT_GROUPS, client },
        format,
      );
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      saveBlob(blob, `verifications-${scope}-${client}-${window}-${stamp}.${format}`);
    },
  });
  return (
    <>
      {(['csv', 'ndjson'] as const).map((format) => (
        <button
          key={format}
          type="button"
          className="button"
          disabled={exporting.isPending}
          onClick={() => exporting.mutate(format)}
        >
          <IconExport />
          Export {format.toUpperCase()}
        </button>
      ))}
      <ErrorBox error={exporting.error} title="Not exported" />
    </>
  );
}

/**
 * Verifications over a window: a chart by outcome or by tag, the busiest tokens and identities,
 * and the window's export; the API's calls, or on a toggle the console's own (counted apart, so
 * browsing the console never reads as API traffic). A business's as the caller may see them (every token's for an owner
 * or admin whose token allows tokens:admin, else their own); the platform's across businesses,
 * unknown tokens included.
 */
export function Analytics({ scope }: { scope: AnalyticsScope }) {
  const { business, caps } = useSession();
  const [window, setWindow] = useState<WindowKey>('24h');
  const [group, setGroup] = useState<ChartGroup>('outcome');
  const [client, setClient] = useState<Client>('api');
  const reading: Reading = { scope, window, client };
  const lead =
    scope === 'platform'
      ? 'Every verification across businesses, unknown tokens included: why calls were refused, and by whom.'
      : caps.tokensAdmin
        ? `Every verification of ${business?.name ?? 'the business'}'s tokens: why calls were refused, and by whom.`
        : 'Every verification of your tokens: why calls were refused.';
  return (
    <>
      <PageHead
        title={scope === 'platform' ? 'Platform analytics' : 'Analytics'}
        lead={lead}
        actions={<ExportButtons {...reading} />}
      />
      <div className="analytics-pickers">
        <Segmented
          name="analytics-window"
          legend="Window (the last …)"
          value={window}
          options={Object.entries(WINDOWS).map(([k, w]) => [k as WindowKey, w.short])}
          onChange={setWindow}
        />
        <Segmented
          name="analytics-group"
          legend="Split by"
          value={group}
          options={Object.entries(GROUPS) as [ChartGroup, string][]}
          onChange={setGroup}
        />
        <Segmented
          name="analytics-client"
          legend="Whose calls"
          value={client}
          options={Object.entries(CLIENTS).map(([k, c]) => [k as Client, c.label])}
          onChange={setClient}
        />
      </div>
      <p className="hint" role="note">
        {CLIENTS[client].says}
      </p>
      <Chart {...reading} group={group} />
      {scope === 'platform' ? <PlatformTop {...reading} /> : <BusinessTop {...reading} />}
    </>
  );
}
