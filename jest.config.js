/** Two tiers: pure unit specs beside the code, integration specs under test/ against real servers. */
const transform = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }],
};

module.exports = {
  // Integration tests drive thousands of real requests; hooks start and stop real servers.
  testTimeout: 120_000,
  projects: [
    {
      displayName: 'unit',
      transform,
      testEnvironment: 'node',
      testMatch: [
        '<rootDir>/{domain,commands,projections,read-api,write-api,operator,infra,web}/**/*.spec.ts',
      ],
    },
    {
      displayName: 'integration',
      transform,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/**/*.int.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      setupFilesAfterEnv: ['<rootDir>/test/support/reap-servers.ts'],
      slowTestThreshold: 30,
    },
  ],
};
