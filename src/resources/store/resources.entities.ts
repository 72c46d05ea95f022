import { Resource } from './resource.entity';

/** The tables resources own. */
export const RESOURCES_ENTITIES = [Resource];
