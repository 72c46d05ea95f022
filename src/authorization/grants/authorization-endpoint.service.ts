import { Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { AppConfig } from '../../config/app-config';
import { publicBaseUrl } from '../../config/sections/features/status-list-config';
import { TenancyDirectory } from '../../tenancy/tenancy-directory';
import { AuthorizationRequests } from '../codes/authorization-requests.service';
import type { AuthorizationRequestParams } from '../codes/dto/authorization-code.dto';
import { authorizationResponseLocation } from '../codes/authorization-request';
import { issuerOf } from '../issuer';
import { AuthorizationRequestHandles } from './authorization-request-handle';

/** The longest `state` carried to the consent screen and back: a client's CSRF value fits. */
export const STATE_MAX = 1024;

/** Where the browser goes, or the page it is shown. */
export type EndpointAnswer =
  { kind: 'redirect'; location: string } | { kind: 'page'; status: 400 | 404; html: string };

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function errorPage(status: 400 | 404, error: string, description: string): EndpointAnswer {
  const html =
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<title>Authorization request refused</title></head><body>' +
    '<h1>This app’s request cannot be answered</h1>' +
    `<p>${escapeHtml(description)} (<code>${escapeHtml(error)}</code>).</p>` +
    '<p>Nothing was shared with the app. Close this page and tell the app’s makers.</p>' +
    '</body></html>';
  return { kind: 'page', status, html };
}

/**
 * The authorization endpoint's answers: the request checked (`AuthorizationRequests`), then the
 * browser sent to the console's consent screen with the request sealed, so the person's
 * decision names exactly what was checked.
 */
@Injectable()
export class AuthorizationEndpoint {
  private readonly console: string;

  constructor(
    private readonly requests: AuthorizationRequests,
    private readonly handles: AuthorizationRequestHandles,
    private readonly tenancy: TenancyDirectory,
    private readonly config: AppConfig,
  ) {
    this.console = `${publicBaseUrl(config)}/admin/consent`;
  }

  async answer(businessId: string, params: AuthorizationRequestParams): Promise<EndpointAnswer> {
    const business = isUUID(businessId) ? await this.tenancy.findBusiness(businessId) : null;
    // An unknown business is no authorization server, and one suspended issues nothing.
    if (!business || business.status !== 'active') {
      return errorPage(404, 'invalid_request', 'There is no authorization server at this address');
    }
    const checked = await this.requests.check(businessId, params);
    if (checked.kind === 'page') return errorPage(400, checked.error, checked.description);
    if (checked.kind === 'redirect') {
      return {
        kind: 'redirect',
        location: authorizationResponseLocation(checked.redirectUri, checked.params),
      };
    }
    const { request } = checked;
    if (request.state !== null && request.state.length > STATE_MAX) {
      return {
        kind: 'redirect',
        location: authorizationResponseLocation(request.redirectUri, {
          error: 'invalid_request',
          error_description: `state is longer than ${STATE_MAX} characters`,
          iss: issuerOf(this.config, businessId),
        }),
      };
    }
    const handle = await this.handles.seal(businessId, request);
    const query = new URLSearchParams({ business: businessId, request: handle });
    return { kind: 'redirect', location: `${this.console}?${query.toString()}` };
  }
}
