import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

/** Which top-level folders each layer may not import (README, "Layout"); spec files are tests and exempt. */
const FORBIDDEN = {
  domain: ['commands', 'projections', 'infra', 'write-api', 'read-api', 'bin', 'operator', 'bench', 'test'],
  commands: ['projections', 'infra', 'write-api', 'read-api', 'bin', 'operator', 'bench', 'test'],
  projections: ['infra', 'write-api', 'read-api', 'bin', 'operator', 'bench', 'test'],
  infra: ['write-api', 'read-api', 'bin', 'bench', 'test'],
  'write-api': ['read-api', 'bin', 'bench', 'test'],
  'read-api': ['write-api', 'bin', 'bench', 'test'],
};

function layering() {
  return Object.entries(FORBIDDEN).map(([layer, folders]) => ({
    files: [`${layer}/**/*.ts`],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: folders.map((folder) => `**/${folder}/**`),
              message: `${layer}/ may not import ${folders.join(', ')} (README, "Layout").`,
            },
            // The domain and the command handlers are pure: no packages, only the runtime's timers.
            ...(layer === 'domain' || layer === 'commands' || layer === 'projections'
              ? [
                  {
                    regex: layer === 'domain' ? '^[^.]' : '^(?!\\.|node:timers)',
                    message: `${layer}/ imports no packages: put the adapter in infra/ behind a port.`,
                  },
                ]
              : []),
          ],
        },
      ],
    },
  }));
}

export default tseslint.config(
  { ignores: ['dist/**', 'web/dist/**', 'node_modules/**', 'coverage/**', 'bin/couponkill.js'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.mjs', '*.js', '*.cjs', 'scripts/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/no-confusing-void-expression': 'off',
      'no-console': 'error',
    },
  },
  { files: ['**/*.mjs', '**/*.js', '**/*.cjs'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['scripts/**/*.mjs'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly' } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  {
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { module: 'writable', require: 'readonly', __dirname: 'readonly' },
    },
  },
  {
    files: ['test/**', '**/*.spec.ts', 'bench/**', 'bin/**', 'scripts/**'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  ...layering(),
  // The web app is a separate bundle for browsers: it talks to the system only over HTTP, never by importing it.
  {
    files: ['web/**/*.ts', 'web/**/*.tsx', 'web/**/*.mts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex:
                '^(\\.\\./)+(domain|commands|projections|infra|write-api|read-api|bin|operator|bench|test)/',
              message: 'web/ talks to the system over HTTP only (README, "Web app").',
            },
          ],
        },
      ],
    },
  },
  // jest's asymmetric matchers (expect.any, expect.anything) are typed `any` by @types/jest.
  { files: ['test/**', '**/*.spec.ts'], rules: { '@typescript-eslint/no-unsafe-assignment': 'off' } },
  prettier,
);
