import { Resource } from './store/resource.entity';

/** The tables resources own. */
export const RESOURCES_ENTITIES = [Resource];
