import { ValidateBy } from 'class-validator';
import { canonicalCidr } from './cidr';

/** Each element an IPv4 or IPv6 network (or a bare address), as `canonicalCidr` reads them. */
export const EachCidr = () =>
  ValidateBy(
    {
      name: 'isCidr',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && canonicalCidr(value) !== null,
        defaultMessage: () => 'each entry must be an IPv4 or IPv6 CIDR, such as 10.0.0.0/8',
      },
    },
    { each: true },
  );
