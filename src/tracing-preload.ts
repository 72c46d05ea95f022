/**
 * The first import of main.ts: starts tracing before http, pg and Nest are loaded, so that their
 * instrumentations can patch them (see tracing.ts). It is a module of its own because an import's
 * side effects run before the importing file's own code.
 */
import { startTracing } from './tracing';

startTracing(process.env);
