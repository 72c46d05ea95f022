import { Invitation } from './store/invitation.entity';

/** The tables invitations own. */
export const INVITATIONS_ENTITIES = [Invitation];
