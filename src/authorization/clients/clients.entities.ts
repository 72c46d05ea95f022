import { RegisteredClient } from './store/registered-client.entity';

/** The tables the authorization server's clients own. */
export const CLIENTS_ENTITIES = [RegisteredClient];
