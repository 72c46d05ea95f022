import { CreateBusinessDto } from '../../workflows/dto/workflows.dto';
import { CliUsageError } from './cli-argv';
import { validateDto } from './validate-dto';

describe(validateDto.name, () => {
  it('holds CLI options to the text rule of the HTTP API: no NUL, no lone surrogate', () => {
    for (const name of ['Acme\u0000', 'Acme\ud800']) {
      expect(() => validateDto(CreateBusinessDto, { name, owner_email: 'o@shell.test' })).toThrow(
        new CliUsageError(
          'Invalid options:\n  name: Input should be well-formed Unicode text without U+0000',
        ),
      );
    }
  });

  it('answers the DTO with well-formed options', () => {
    expect(
      validateDto(CreateBusinessDto, { name: 'Acme', owner_email: 'o@shell.test' }),
    ).toMatchObject({
      name: 'Acme',
    });
  });
});
