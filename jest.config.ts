import type { Config } from 'jest';

// ts-jest transpiles file by file (isolatedModules in tsconfig.json); `npm test` type-checks the
// whole tree with tsc first, so this stays fast without losing strictness.
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/properties', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 120000,
};

export default config;
