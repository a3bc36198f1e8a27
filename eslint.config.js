import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The architecture (docs/architecture.md): the folders of src/ each folder may import; the programs
 * never import each other, nothing imports cli/, and only bus/ touches the Kafka client; for static
 * imports and import() alike.
 */
const MAY_IMPORT = {
  protocol: [],
  api: ['protocol'],
  bus: ['protocol', 'log'],
  stats: [],
  store: [],
  log: [],
  metrics: ['stats'],
  report: ['api'],
  driver: ['protocol', 'bus', 'stats', 'store', 'metrics', 'log'],
  orchestrator: ['api', 'protocol', 'bus', 'stats', 'store', 'metrics', 'log', 'report'],
  target: ['log', 'metrics'],
  broker: ['bus', 'log'],
};
const SRC_FOLDERS = [...Object.keys(MAY_IMPORT), 'cli'];

function layerRule(folder) {
  const forbidden = SRC_FOLDERS.filter((other) => other !== folder && !MAY_IMPORT[folder].includes(other));
  const allowed = MAY_IMPORT[folder].length === 0 ? 'nothing else of src/' : `only ${MAY_IMPORT[folder].join(', ')} of src/`;
  const patterns = [{ group: forbidden.map((other) => `**/${other}/*`), message: `src/${folder}/ imports ${allowed} (docs/architecture.md)` }];
  // no-restricted-imports sees static imports only; an import() is checked by the same rules here.
  const dynamicImports = [{ selector: `ImportExpression > Literal[value=/^(\\.\\.\\/)+(${forbidden.join('|')})\\//]`, message: patterns[0].message }];
  if (folder !== 'bus') {
    const message = 'only src/bus/ touches the Kafka client';
    patterns.push({ group: ['@platformatic/kafka', '@platformatic/kafka/*'], message });
    dynamicImports.push({ selector: 'ImportExpression > Literal[value=/^@platformatic\\/kafka/]', message });
  }
  return { files: [`src/${folder}/**/*.ts`], rules: { 'no-restricted-imports': ['error', { patterns }], 'no-restricted-syntax': ['error', ...dynamicImports] } };
}

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
  ...Object.keys(MAY_IMPORT).map(layerRule),
  {
    files: ['web/**/*.js'],
    languageOptions: { globals: { window: 'readonly', document: 'readonly', EventSource: 'readonly', fetch: 'readonly', uPlot: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', Intl: 'readonly', console: 'readonly', URL: 'readonly', URLSearchParams: 'readonly', HTMLElement: 'readonly', requestAnimationFrame: 'readonly', location: 'readonly', history: 'readonly', sessionStorage: 'readonly' } },
  },
  {
    files: ['bin/**/*.js', 'scripts/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
