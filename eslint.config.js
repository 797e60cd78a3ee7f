import tseslint from 'typescript-eslint';
import vue from 'eslint-plugin-vue';
import vueParser from 'vue-eslint-parser';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'dist-electron/', 'dist-gpu/', 'release/', 'test-artifacts/', '.workspace/'] },
  ...tseslint.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parser: vueParser, parserOptions: { parser: tseslint.parser, sourceType: 'module' } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'vue/multi-word-component-names': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
    },
  },
  {
    // Every capability is plain Node, so tests and the headless host run it without Electron.
    files: ['main/**/*.ts', 'contract/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'main/ must not depend on Electron; wire it in electron/.' }] }],
    },
  },
  {
    // The renderer reaches the machine only through window.ecgfm.
    files: ['renderer/**/*.ts', 'renderer/**/*.vue', 'contract/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...nodeBuiltins.map((name) => ({ name, message: 'The renderer never touches Node; use window.ecgfm.' })), { name: 'electron', message: 'Use window.ecgfm.' }],
          patterns: [{ group: ['**/main/**', '../main/*', '../../main/*'], message: 'The renderer talks to main/ only through the contract.' }],
        },
      ],
    },
  },
);
