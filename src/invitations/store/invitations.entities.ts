import { Invitation } from './invitation.entity';

/** The tables invitations own. */
export const INVITATIONS_ENTITIES = [Invitation];
