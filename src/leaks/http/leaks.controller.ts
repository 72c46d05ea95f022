import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '../../auth/decorators';
import { originOf } from '../../auth/request-context';
import { ApiErrors, RawResponse } from '../../common/http/envelope';
import { NoStore } from '../../common/http/no-store';
import { KeepRawBody, rawBodyOf } from '../../common/http/raw-body';
import { LeakReportRateLimit } from '../../throttle/rate-limit.decorators';
import { LeakLabelDto, ReportedLeakDto } from '../dto/leak-label.dto';
import { LeaksService } from '../leaks.service';

const header = (request: FastifyRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
};

@ApiTags('leaks')
@RawResponse()
@Controller('leaks')
export class LeaksController {
  constructor(private readonly leaks: LeaksService) {}

  @Post('github')
  @Public()
  @LeakReportRateLimit()
  @KeepRawBody()
  @NoStore()
  @HttpCode(200)
  @ApiOperation({
    operationId: 'revokeGithubLeaks',
    summary: "GitHub secret scanning: revoke tokens found in public (GitHub's partner payload)",
    description:
      "For GitHub's secret scanning partner program. The body is signed by GitHub " +
      '(ECDSA P-256, SHA-256) with a key of GITHUB_SECRET_SCANNING_KEYS_FILE, named by ' +
      'Github-Public-Key-Identifier; an unsigned or badly signed report is 401 and changes ' +
      'nothing. Each reported token of this installation is revoked (reason `leaked`, by ' +
      '`github-secret-scanning`, the URL in its `token.leaked` audit event and webhook) and ' +
      'labelled true_positive; anything else false_positive. A token reported again is left ' +
      'as it is. Rate limited per client IP (RATE_LIMIT_LEAKS_PER_MINUTE).',
  })
  @ApiHeader({ name: 'Github-Public-Key-Identifier', required: true })
  @ApiHeader({ name: 'Github-Public-Key-Signature', required: true })
  @ApiBody({ type: [ReportedLeakDto] })
  @ApiResponse({ status: 200, type: [LeakLabelDto] })
  @ApiErrors({
    401: ['INVALID_SIGNATURE'],
    404: ['LEAK_REPORTS_OFF'],
    422: ['VALIDATION_ERROR'],
    429: ['RATE_LIMITED (per client IP; see Retry-After)'],
  })
  report(@Body() body: unknown, @Req() request: FastifyRequest): Promise<LeakLabelDto[]> {
    return this.leaks.report(
      originOf(request),
      {
        keyId: header(request, 'github-public-key-identifier'),
        signature: header(request, 'github-public-key-signature'),
      },
      rawBodyOf(request) ?? Buffer.alloc(0),
      body,
    );
  }
}
