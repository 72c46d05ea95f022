import { useTitle } from '../../ui/useTitle';
import { useSession } from '../../session';
import { AttentionCards } from './AttentionCards';
import { BusinessPicker } from './BusinessPicker';
import { PlatformFacts } from './PlatformFacts';
import { RecentActivity, RecentOwnTokens } from './RecentActivity';
import { UsageOverTime } from './UsageOverTime';
import { VerificationsOverTime } from './VerificationsOverTime';
import { YouFacts } from './YouFacts';
import './home.css';

/**
 * The home page answers "what needs my attention", by role. A platform admin with no business
 * open picks one first, then sees the platform and its recent activity. In a business: the counts
 * of its tokens that ask for attention, each a link to its list, the tokens expiring soon, recent
 * activity (the audit log for those who may read it, else one's own newest tokens), usage over
 * time, and who is signed in.
 */
export function Home() {
  useTitle('Overview');
  const { business, caps } = useSession();
  if (!business) {
    return (
      <div className="home">
        <h1>Overview</h1>
        {caps.platform && <BusinessPicker />}
        {caps.platform && <PlatformFacts />}
        <div className="home-columns">
          {caps.platform && <RecentActivity scope="platform" />}
          <YouFacts />
        </div>
      </div>
    );
  }
  return (
    <div className="home">
      <h1>Overview</h1>
      <AttentionCards />
      <VerificationsOverTime />
      <div className="home-columns">
        {caps.auditRead ? <RecentActivity scope="business" /> : <RecentOwnTokens />}
        <UsageOverTime />
      </div>
      <div className="home-columns">
        <YouFacts />
        {caps.platform && <BusinessPicker switching />}
      </div>
    </div>
  );
}
