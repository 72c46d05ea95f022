import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { publicBaseUrl } from '../../config/sections/features/status-list-config';
import type { StatusListReference } from './token-status-list';

/**
 * Where a token's status-list entry is: what its view, the introspection answer and `/auth/verify`
 * tell a relying party, and what a list names itself (`sub`). The URLs begin with
 * PUBLIC_BASE_URL, the address relying parties reach the installation at.
 */
@Injectable()
export class StatusListReferences {
  private readonly base: string;

  constructor(config: AppConfig) {
    this.base = publicBaseUrl(config);
  }

  /** A list's URL: its `sub`, and the `uri` of every entry in it. */
  uriOf(listId: string): string {
    return `${this.base}/status-lists/${listId}`;
  }

  /** A token's entry, or null for one that has no place (none is made without one). */
  referenceOf(token: {
    statusListId?: string | null;
    statusIndex?: number | null;
  }): StatusListReference | null {
    if (token.statusListId == null || token.statusIndex == null) return null;
    return { idx: token.statusIndex, uri: this.uriOf(token.statusListId) };
  }
}
