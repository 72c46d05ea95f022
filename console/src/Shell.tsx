import type { ReactNode } from 'react';
import { Link, paths, routeOf, usePath, type Route } from './router';
import { Analytics } from './features/analytics/Analytics';
import { AuditLog } from './features/audit/AuditLog';
import { Businesses } from './features/platform/Businesses';
import { ConnectedApps } from './features/connected-apps/ConnectedApps';
import { Consent } from './features/consent/Consent';
import { Home } from './features/overview/Home';
import { Machines } from './features/machines/Machines';
import { MachineDetail } from './features/machines/MachineDetail';
import { Members } from './features/members/Members';
import { Roles } from './features/roles/Roles';
import { SignInSettings } from './features/sign-in-settings/SignInSettings';
import { Requests } from './features/requests/Requests';
import { NotAvailable, NotFound, NoBusiness } from './Fallbacks';
import { PlatformAdmins } from './features/platform/PlatformAdmins';
import { PlatformTokens } from './features/platform/PlatformTokens';
import { RiskyTokens } from './features/tokens/RiskyTokens';
import { PolicyViolations } from './features/token-policy/PolicyViolations';
import { TokenPolicy } from './features/token-policy/TokenPolicy';
import { TokenDetail } from './features/tokens/TokenDetail';
import { mayManageStreams } from './features/streams/stream-rules';
import { Streams } from './features/streams/Streams';
import { Usage } from './features/usage/Usage';
import { Tokens } from './features/tokens/Tokens';
import { WebhookDetail } from './features/webhooks/WebhookDetail';
import { Webhooks } from './features/webhooks/Webhooks';
import { useSession } from './session';
import { Logo } from './ui/brand/Logo';
import { IconSignOut } from './ui/brand/icons';
import { MenuButton, NAV_ID, useNavMenu, type NavMenu } from './ui/NavMenu';

interface NavItem {
  to: string;
  label: string;
  /** Which routes light this item up. */
  routes: Route['name'][];
}

function NavLinks({ label, items, current }: { label: string; items: NavItem[]; current: Route }) {
  if (items.length === 0) return null;
  return (
    <div className="nav-group">
      <span className="nav-label">{label}</span>
      <ul>
        {items.map((item) => (
          <li key={item.to}>
            <Link
              to={item.to}
              className="nav-link"
              aria-current={item.routes.includes(current.name) ? 'page' : undefined}
            >
              {item.label}
            </Link>
          </li>
        ))}
      </ul>
    </div>
  );
}

function Nav({ route, menu }: { route: Route; menu: NavMenu }) {
  const session = useSession();
  const { business, caps } = session;
  const biz: NavItem[] = [];
  if (business) {
    biz.push({ to: paths.tokens, label: 'Tokens', routes: ['tokens', 'token', 'risky'] });
    biz.push({ to: paths.usage, label: 'Usage', routes: ['usage'] });
    // Every member reads verifications: their own tokens', or all of them with tokens:admin.
    biz.push({ to: paths.analytics, label: 'Analytics', routes: ['analytics'] });
    biz.push({ to: paths.policy, label: 'Token policy', routes: ['policy', 'violations'] });
    // Everyone asks for tokens here; owners and admins decide.
    biz.push({ to: paths.requests, label: 'Requests', routes: ['requests'] });
    if (isPerson(session)) {
      biz.push({ to: paths.connectedApps, label: 'Connected apps', routes: ['connectedApps'] });
    }
    if (caps.membersRead) {
      biz.push({ to: paths.members, label: 'Members', routes: ['members'] });
      biz.push({ to: paths.roles, label: 'Roles', routes: ['roles'] });
      biz.push({ to: paths.signInSettings, label: 'Sign-in', routes: ['signInSettings'] });
      biz.push({ to: paths.machines, label: 'Machines', routes: ['machines', 'machine'] });
    }
    if (caps.webhooksRead) {
      biz.push({ to: paths.webhooks, label: 'Webhooks', routes: ['webhooks', 'webhook'] });
    }
    if (mayManageStreams(session)) {
      biz.push({ to: paths.streams, label: 'Streams', routes: ['streams'] });
    }
    if (caps.auditRead) biz.push({ to: paths.audit, label: 'Audit log', routes: ['audit'] });
  }
  const platform: NavItem[] = caps.platform
    ? [
        { to: paths.businesses, label: 'Businesses', routes: ['businesses'] },
        { to: paths.admins, label: 'Platform admins', routes: ['admins'] },
        { to: paths.platformTokens, label: 'All tokens', routes: ['platformTokens'] },
        { to: paths.platformAudit, label: 'Platform audit', routes: ['platformAudit'] },
        { to: paths.platformAnalytics, label: 'Platform analytics', routes: ['platformAnalytics'] },
      ]
    : [];
  return (
    <nav ref={menu.nav} id={NAV_ID} className={menu.open ? 'nav open' : 'nav'} aria-label="Main">
      <NavLinks
        label="Console"
        items={[{ to: paths.home, label: 'Overview', routes: ['home'] }]}
        current={route}
      />
      <NavLinks label={business ? business.name : 'Business'} items={biz} current={route} />
      <NavLinks label="Platform" items={platform} current={route} />
    </nav>
  );
}

/** Only a person consents to an app, so only a person has connected apps: no platform token. */
function isPerson({ whoami }: ReturnType<typeof useSession>): boolean {
  return !whoami.is_platform_token && whoami.identity.kind === 'user';
}

function screenOf(route: Route, session: ReturnType<typeof useSession>): ReactNode {
  const { business, caps } = session;
  // A screen refused to this caller asks the API for its list (`probe`) and shows the refusal.
  const inBusiness = (screen: ReactNode, allowed = true, probe?: string) =>
    !business ? <NoBusiness /> : allowed ? screen : <NotAvailable probe={probe} />;
  const onPlatform = (screen: ReactNode, probe: string) =>
    caps.platform ? screen : <NotAvailable probe={probe} />;
  switch (route.name) {
    case 'home':
      return <Home />;
    case 'tokens':
      return inBusiness(<Tokens />);
    case 'risky':
      return inBusiness(<RiskyTokens />);
    case 'usage':
      return inBusiness(<Usage />);
    case 'analytics':
      return inBusiness(<Analytics scope="business" />);
    case 'token':
      return inBusiness(<TokenDetail id={route.id} />);
    case 'policy':
      return inBusiness(<TokenPolicy />);
    case 'violations':
      return inBusiness(<PolicyViolations />);
    case 'members':
      return inBusiness(<Members />, caps.membersRead, '/api/v1/members?limit=1');
    case 'roles':
      return inBusiness(<Roles />, caps.membersRead, '/api/v1/custom-roles');
    case 'signInSettings':
      return inBusiness(<SignInSettings />, caps.membersRead, '/api/v1/sso/settings');
    case 'requests':
      return inBusiness(<Requests />);
    case 'machines':
      return inBusiness(<Machines />, caps.membersRead, '/api/v1/machine-identities?limit=1');
    case 'machine':
      return inBusiness(
        <MachineDetail id={route.id} />,
        caps.tokensAdmin && caps.membersRead,
        `/api/v1/machine-identities/${encodeURIComponent(route.id)}/trust-rules?limit=1`,
      );
    case 'webhooks':
      return inBusiness(<Webhooks />, caps.webhooksRead, '/api/v1/webhooks?limit=1');
    case 'webhook':
      return inBusiness(
        <WebhookDetail id={route.id} />,
        caps.webhooksRead,
        `/api/v1/webhooks/${encodeURIComponent(route.id)}`,
      );
    case 'streams':
      return inBusiness(<Streams />, mayManageStreams(session), '/ssf/v1/streams');
    case 'connectedApps':
      return inBusiness(<ConnectedApps />, isPerson(session), '/api/v1/connected-apps?limit=1');
    case 'consent':
      return <Consent />;
    case 'audit':
      return inBusiness(
        <AuditLog scope="business" />,
        caps.auditRead,
        '/api/v1/audit-events?limit=1',
      );
    case 'businesses':
      return onPlatform(<Businesses />, '/platform/v1/businesses?limit=1');
    case 'admins':
      return onPlatform(<PlatformAdmins />, '/platform/v1/admins?limit=1');
    case 'platformTokens':
      return onPlatform(<PlatformTokens />, '/platform/v1/tokens?limit=1');
    case 'platformAudit':
      return onPlatform(<AuditLog scope="platform" />, '/platform/v1/audit-events?limit=1');
    case 'platformAnalytics':
      return onPlatform(<Analytics scope="platform" />, '/platform/v1/analytics/verifications');
    case 'notFound':
      return <NotFound />;
  }
}

export function Shell() {
  const session = useSession();
  const { whoami, business, signOut, closeBusiness, caps } = session;
  const path = usePath();
  const route = routeOf(path);
  const menu = useNavMenu(path);
  // The consent screen stands alone: an app's question, with nothing else to click.
  if (route.name === 'consent') return <Consent />;
  const role = business ? (business.role ?? 'platform admin') : null;
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-start">
          <MenuButton menu={menu} />
          <p className="brand">
            <Link to={paths.home}>
              <Logo />
            </Link>{' '}
            <span className="muted">console</span>
          </p>
        </div>
        <div className="whoami">
          <span className="who">
            <span className="visually-hidden">Signed in as </span>
            <span className="wrap">{whoami.identity.label}</span>
            {caps.platform && <span className="badge badge-info">platform</span>}
          </span>
          {business && (
            <span className="where">
              <span className="muted">in</span> <strong className="wrap">{business.name}</strong>{' '}
              <span className="muted">({role})</span>
              {caps.platform && (
                <button type="button" className="button small ghost" onClick={closeBusiness}>
                  Leave business
                </button>
              )}
            </span>
          )}
          <button type="button" className="button small" onClick={() => signOut()}>
            <IconSignOut />
            Sign out
          </button>
        </div>
      </header>
      <Nav route={route} menu={menu} />
      <main id="main" className="page" tabIndex={-1}>
        <Screen key={`${business?.id ?? '-'}:${route.name}`} node={screenOf(route, session)} />
      </main>
    </div>
  );
}

function Screen({ node }: { node: ReactNode }) {
  return <>{node}</>;
}
