import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['lib/**', 'dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // CommonJS, so that the CLI bundle can take undici's parts the way undici itself loads them.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The engine's face (engine/index.ts) is the only door into it: the doors and the GitHub side
    // must not reach past it, so the engine's insides can move without breaking them. Tests and
    // bench drive internals on purpose. Two leaf modules are faces too, because they load nothing
    // else: the error vocabulary and the result model, which the CLI's start-up (--version, help,
    // the error document) needs without loading the whole engine.
    files: ['**/*.ts'],
    ignores: ['engine/**', 'test/**', 'bench/**', 'sandbox/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)engine/(?!(index|errors|model)\\.js$)',
              message:
                "Import from engine/index.js, the engine's public face; re-export there what is missing.",
            },
          ],
        },
      ],
    },
  },
  {
    // The sandbox imitates API7 on its own: sharing engine code would let a bug hide on both sides.
    files: ['sandbox/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '(^|/)engine/', message: 'The sandbox shares no code with the engine.' }] },
      ],
    },
  },
  {
    // Size limits for production code: a file over 300 lines holds more than one job and a
    // function over 80 lines more than one step, and both hide bugs from review. Tests, bench,
    // build scripts and generated code are exempt: they are long lists of cases or machine output.
    files: ['**/*.{ts,js,mjs}'],
    ignores: ['test/**', 'bench/**', 'scripts/**', 'schema/**', '**/*.generated.ts'],
    rules: {
      'max-lines': ['error', { max: 300 }],
      'max-lines-per-function': ['error', { max: 80 }],
    },
  },
  {
    // Tests read JSON answers of the API under test; typing every one adds nothing.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
