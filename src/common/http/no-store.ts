import { Header } from '@nestjs/common';

/** For responses that carry a secret: no cache, proxy or browser may keep them. */
export const NoStore = () => Header('Cache-Control', 'no-store');
