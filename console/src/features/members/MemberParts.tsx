import type { Member } from '../../api/types';

/** How a member is named in the console's lines: the email, else the name. */
export const who = (m: Member) => m.email ?? m.name ?? 'this member';
