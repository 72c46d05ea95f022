import { Injectable, PipeTransform } from '@nestjs/common';
import { RequestValidationError } from '../../common/errors/domain-error';

const MESSAGE_ID = /^msg_[0-9a-f]{32}$/;

/** A webhook-id in a path, `msg_` and 32 hex digits, or 422 on that path segment. */
@Injectable()
export class MessageIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (typeof value === 'string' && MESSAGE_ID.test(value)) return value;
    throw new RequestValidationError([
      {
        loc: ['path', 'message_id'],
        msg: 'Input should be a webhook-id: msg_ and 32 hex digits',
        type: 'value_error',
      },
    ]);
  }
}
