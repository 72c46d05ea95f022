import { AppConfig, CONFIG_SECTIONS } from './app-config';

/**
 * `AppConfig` is written twice: its sections listed in `CONFIG_SECTIONS` (what is read, validated
 * and copied onto it) and in the interface it merges with (what the code may read). The types
 * below make `npm run typecheck` fail, naming the variables, when the two lists differ.
 */

/** The intersection of a union's members: `A | B` becomes `A & B`. */
type IntersectionOf<U> = (U extends unknown ? (part: U) => void : never) extends (
  part: infer I,
) => void
  ? I
  : never;

/** What the listed sections make together: every section's instance, as one object. */
type Composed = IntersectionOf<InstanceType<(typeof CONFIG_SECTIONS)[number]>>;

/** `'none'` when there are no keys, else the keys themselves, which then fail to take `'none'`. */
type NoneOf<Keys> = [Keys] extends [never] ? 'none' : Keys;

/** A setting the interface promises that no listed section holds (read, it would be undefined). */
const unlisted: NoneOf<Exclude<keyof AppConfig, keyof Composed>> = 'none';

/** A listed section's setting the code cannot read from `AppConfig`, for the interface lacks it. */
const undeclared: NoneOf<Exclude<keyof Composed, keyof AppConfig>> = 'none';

/** Each is the other: an `AppConfig` is every section, and the sections are an `AppConfig`. */
const interchangeable: [AppConfig] extends [Composed]
  ? [Composed] extends [AppConfig]
    ? true
    : false
  : false = true;

describe('AppConfig sections', () => {
  it('lists the same sections in CONFIG_SECTIONS and in the interface AppConfig merges with', () => {
    expect({ unlisted, undeclared, interchangeable }).toEqual({
      unlisted: 'none',
      undeclared: 'none',
      interchangeable: true,
    });
  });

  it("holds every section's settings and derived values, and nothing of its own", () => {
    const membersOf = (instance: object, prototype: object) => [
      ...Object.keys(instance),
      ...Object.getOwnPropertyNames(prototype).filter((name) => name !== 'constructor'),
    ];
    const sections = CONFIG_SECTIONS.flatMap((Section) =>
      membersOf(new Section(), Section.prototype),
    );
    const sut = membersOf(new AppConfig(), AppConfig.prototype);
    expect(sections.filter((name, i) => sections.indexOf(name) !== i)).toEqual([]);
    expect([...sut].sort()).toEqual([...sections].sort());
  });
});
