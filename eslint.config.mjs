// @ts-check
import { readdirSync } from 'node:fs';
import eslint from '@eslint/js';
import prettier from 'eslint-plugin-prettier/recommended';
import tseslint from 'typescript-eslint';

// The console's features meet only below them (console/README.md, "Layout"): a part two features
// share lives in console/src/ui/, a data module in console/src/api/. One block a feature, naming
// every other feature, so a new feature folder is kept apart without editing this file.
const consoleFeatures = readdirSync(new URL('./console/src/features', import.meta.url), {
  withFileTypes: true,
})
  .filter((e) => e.isDirectory())
  .map((e) => e.name);
const featuresApart = consoleFeatures.map((feature) => ({
  files: [`console/src/features/${feature}/**/*.{ts,tsx}`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            regex: `^(\\.\\./)+(features/)?(${consoleFeatures
              .filter((other) => other !== feature)
              .join('|')})(/|$)`,
            message: `The ${feature} feature imports no other feature: move what they share to console/src/ui/ (a part) or console/src/api/ (a data module).`,
          },
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'eslint.config.mjs'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  prettier,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // One way to hand a repository the database (STYLE.md, "The transaction cannot be forgotten"):
    // a write takes the `Transaction`, a read a `Reader`, both last. TypeORM's manager, and the
    // DataSource's own manager and query, stay inside src/database, behind those two types.
    files: ['src/**/*.ts'],
    ignores: ['src/database/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'typeorm',
              importNames: ['EntityManager'],
              message:
                'Take a Transaction (writes) or a Reader (reads) from src/database, last, not an EntityManager.',
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "TSTypeReference[typeName.name='EntityManager']",
          message:
            'Take a Transaction (writes) or a Reader (reads) from src/database, last, not an EntityManager.',
        },
        {
          selector: "MemberExpression[property.name='manager']",
          message:
            "Use the Transaction's or Reader's own operations (tx.insert, db.findOneBy, db.query, …), not its manager.",
        },
        {
          selector:
            "MemberExpression[property.name='query'][object.name=/dataSource/i], MemberExpression[property.name='query'][object.property.name=/dataSource/i]",
          message:
            'Read through a Reader (Database.primary, ReadRouting, or the Transaction), not the DataSource.',
        },
      ],
    },
  },
  ...featuresApart,
  {
    files: ['test/**/*.ts', 'src/**/*.spec.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
