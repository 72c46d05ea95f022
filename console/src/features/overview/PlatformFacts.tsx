import { Link, paths } from '../../router';
import { usePlatformAdmins } from '../../api/resources/platform-admins.api';
import { useBusinesses } from '../../api/resources/businesses.api';

const number = new Intl.NumberFormat('en');

/** The platform at a glance, for a platform admin: its businesses and admins, each a link. */
export function PlatformFacts() {
  const businesses = useBusinesses();
  const admins = usePlatformAdmins();
  const items = businesses.data?.items ?? [];
  const suspended = items.filter((b) => b.status === 'suspended').length;
  const more = (truncated: boolean | undefined) => (truncated ? '+' : '');
  return (
    <section className="home-section" aria-labelledby="platform-head">
      <h2 id="platform-head">Platform</h2>
      <ul className="stats">
        <li>
          <Link className="stat" to={paths.businesses}>
            <span className="stat-value">
              {businesses.data
                ? `${number.format(items.length - suspended)}${more(businesses.data.truncated)}`
                : '…'}
            </span>
            <span className="stat-label">Active businesses</span>
          </Link>
        </li>
        <li>
          <Link className={suspended > 0 ? 'stat stat-warn' : 'stat'} to={paths.businesses}>
            <span className="stat-value">{businesses.data ? number.format(suspended) : '…'}</span>
            <span className="stat-label">Suspended</span>
          </Link>
        </li>
        <li>
          <Link className="stat" to={paths.admins}>
            <span className="stat-value">
              {admins.data
                ? `${number.format(admins.data.items.length)}${more(admins.data.truncated)}`
                : '…'}
            </span>
            <span className="stat-label">Platform admins</span>
          </Link>
        </li>
      </ul>
      <p className="small">
        <Link to={paths.platformTokens}>All tokens</Link>, across every business.
      </p>
    </section>
  );
}
