import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { uncleanText } from '../../common/validation/validation.pipe';
import { nullIssues } from '../../common/validation/null-fields';
import { ClientMetadataDto, type GrantType } from './dto/client-metadata.dto';

/** A client as a flow uses it, whichever way it was named: one shape for both kinds. */
export interface Client {
  clientId: string;
  /** A Client ID Metadata Document's URL, or an id RFC 7591 registration gave. */
  kind: 'metadata_document' | 'registered';
  clientName: string | null;
  redirectUris: string[];
  clientUri: string | null;
  logoUri: string | null;
  tokenEndpointAuthMethod: 'none';
  grantTypes: GrantType[];
  responseTypes: 'code'[];
}

export type ClientMetadata = Omit<Client, 'clientId' | 'kind'>;

/** The first field a metadata object breaks, and how. */
export interface MetadataRefusal {
  field: string;
  message: string;
}

const FIELDS = [
  'redirect_uris',
  'client_name',
  'client_uri',
  'logo_uri',
  'token_endpoint_auth_method',
  'grant_types',
  'response_types',
] as const satisfies readonly (keyof ClientMetadataDto)[];

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The metadata Latchkey keeps, read whole from a registration's body or a metadata document:
 * the fields it knows (others ignored, RFC 7591 §2), each under `ClientMetadataDto`'s rules, with
 * RFC 7591's defaults filled in. Answers the first refusal, naming its field, when one breaks.
 */
export function readClientMetadata(raw: unknown): ClientMetadata | MetadataRefusal {
  if (!isObject(raw)) return { field: '', message: 'the metadata must be a JSON object' };
  const known: Record<string, unknown> = {};
  for (const field of FIELDS) if (Object.hasOwn(raw, field)) known[field] = raw[field];
  const unclean = uncleanText(known, 'body')[0];
  if (unclean)
    return {
      field: String(unclean.loc[1]),
      message: `${String(unclean.loc[1])} must be well-formed Unicode text without U+0000`,
    };
  // Null only where the schema says nullable, as the global pipe holds every other body to.
  const isNull = nullIssues(known, ClientMetadataDto)[0];
  if (isNull) return { field: String(isNull.loc[1]), message: isNull.msg };
  const dto = plainToInstance(ClientMetadataDto, known);
  const errors = validateSync(dto, { forbidUnknownValues: false });
  if (errors.length > 0) return refusalOf(errors[0]);
  return {
    clientName: dto.client_name ?? null,
    redirectUris: dto.redirect_uris,
    clientUri: dto.client_uri ?? null,
    logoUri: dto.logo_uri ?? null,
    tokenEndpointAuthMethod: 'none',
    grantTypes: dto.grant_types ?? ['authorization_code'],
    responseTypes: dto.response_types ?? ['code'],
  };
}

export const isRefusal = (read: ClientMetadata | MetadataRefusal): read is MetadataRefusal =>
  'field' in read;

function refusalOf(error: ValidationError): MetadataRefusal {
  const message = Object.values(error.constraints ?? {})[0] ?? `${error.property} is not valid`;
  return { field: error.property, message };
}
