import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'infra/kafka/target/', 'test-results/', '.stampede/', 'web/vendor/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['web/**/*.js'],
    languageOptions: { globals: { window: 'readonly', document: 'readonly', EventSource: 'readonly', fetch: 'readonly', uPlot: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', Intl: 'readonly', console: 'readonly', URL: 'readonly', URLSearchParams: 'readonly', HTMLElement: 'readonly', requestAnimationFrame: 'readonly', location: 'readonly', history: 'readonly', sessionStorage: 'readonly' } },
  },
  {
    files: ['bin/**/*.js', 'scripts/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
