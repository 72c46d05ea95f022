import { AppConfig, CONFIG_SECTIONS } from '../../app-config';
import { ConfigValidationError, loadConfig } from '../../load-config';
import { DpopConfig } from './dpop-config';

describe(DpopConfig.name, () => {
  it('is a section AppConfig is composed of, off by default', () => {
    const sut = loadConfig({});
    expect(CONFIG_SECTIONS).toContain(DpopConfig);
    expect(new AppConfig().DPOP_NONCE_REQUIRED).toBe(false);
    expect(sut.DPOP_NONCE_REQUIRED).toBe(false);
  });

  it.each([
    ['true', true],
    ['1', true],
    ['on', true],
    ['false', false],
    ['0', false],
  ])('reads DPOP_NONCE_REQUIRED=%s as %p', (raw, value) => {
    expect(loadConfig({ DPOP_NONCE_REQUIRED: raw }).DPOP_NONCE_REQUIRED).toBe(value);
  });

  it('refuses a value that is no boolean at boot, naming the variable', () => {
    let error: unknown;
    try {
      loadConfig({ DPOP_NONCE_REQUIRED: 'maybe' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    expect((error as ConfigValidationError).problems).toEqual([
      expect.stringMatching(/^DPOP_NONCE_REQUIRED: .*boolean/),
    ]);
  });
});
