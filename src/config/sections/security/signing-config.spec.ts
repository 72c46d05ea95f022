import { AppConfig, CONFIG_SECTIONS } from '../../app-config';
import { loadConfig } from '../../load-config';
import { SigningConfig } from './signing-config';

// Declared on SigningConfig alone: each row holds only if loadConfig's AppConfig applies them.
describe(SigningConfig.name, () => {
  it('is a section AppConfig is composed of, with the defaults of the design', () => {
    const sut = loadConfig({});
    expect(CONFIG_SECTIONS).toContain(SigningConfig);
    expect(new AppConfig().JWT_SIGNING_KEY_PUBLISH_AHEAD_SECONDS).toBe(3600);
    expect(sut.JWT_SIGNING_KEY_PUBLISH_AHEAD_SECONDS).toBe(3600);
    expect(sut.JWT_SIGNING_KEY_RETIRED_LISTED_HOURS).toBe(168);
    expect(sut.JWT_SIGNING_KEYS).toBeUndefined();
    expect(sut.JWT_SIGNING_KEYS_FILE).toBeUndefined();
  });

  it.each<[keyof SigningConfig, string, unknown]>([
    ['JWT_SIGNING_KEYS', '{"keys":[]}', '{"keys":[]}'],
    ['JWT_SIGNING_KEYS_FILE', '/run/secrets/jwt.json', '/run/secrets/jwt.json'],
    ['JWT_SIGNING_KEY_PUBLISH_AHEAD_SECONDS', '0', 0],
    ['JWT_SIGNING_KEY_PUBLISH_AHEAD_SECONDS', '86400', 86_400],
    ['JWT_SIGNING_KEY_RETIRED_LISTED_HOURS', '1', 1],
    ['JWT_SIGNING_KEY_RETIRED_LISTED_HOURS', '8760', 8760],
  ])('reads %s=%s as %p', (name, raw, value) => {
    expect(loadConfig({ [name]: raw })[name]).toBe(value);
  });

  it.each([
    ['JWT_SIGNING_KEY_PUBLISH_AHEAD_SECONDS', '-1', /must not be less than 0$/],
    ['JWT_SIGNING_KEY_PUBLISH_AHEAD_SECONDS', '86401', /must not be greater than 86400$/],
    ['JWT_SIGNING_KEY_PUBLISH_AHEAD_SECONDS', '1h', /must be an integer number$/],
    ['JWT_SIGNING_KEY_RETIRED_LISTED_HOURS', '0', /must not be less than 1$/],
    ['JWT_SIGNING_KEY_RETIRED_LISTED_HOURS', '8761', /must not be greater than 8760$/],
    ['JWT_SIGNING_KEYS', 'x'.repeat(64 * 1024 + 1), /must be shorter than or equal to 65536/],
  ])('refuses %s at boot, naming the variable', (name, raw, message) => {
    expect(() => loadConfig({ [name]: raw })).toThrow(
      expect.objectContaining({
        problems: [expect.stringMatching(new RegExp(`^${name}: ${name} ${message.source}`))],
      }),
    );
  });
});
