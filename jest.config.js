// `npm run test:lambda-node` (bin/on-lambda-node.js) asks for the Lambda runtime's Node.js: never run on another.
if (process.env.LAMBDA_NODE && process.version !== `v${process.env.LAMBDA_NODE}`) {
  throw new Error(`asked for Node.js ${process.env.LAMBDA_NODE}, running on ${process.version}`);
}

/** Separate projects so each suite can be run alone: `npx jest --selectProjects unit`. */
const base = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': 'ts-jest' },
  setupFiles: ['<rootDir>/test/support/env.ts'],
};

/** @type {import('jest').Config} */
module.exports = {
  // Suites talk to DynamoDB Local, terraform and child processes: seconds, not milliseconds.
  testTimeout: 60_000,
  // One DynamoDB Local for the whole run, on a free loopback port; suites create their own tables.
  globalSetup: '<rootDir>/test/support/dynamodb-global-setup.ts',
  globalTeardown: '<rootDir>/test/support/dynamodb-global-teardown.ts',
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...base, displayName: 'infra', testMatch: ['<rootDir>/test/infra/**/*.test.ts'] },
    { ...base, displayName: 'flow', testMatch: ['<rootDir>/test/flow/**/*.test.ts'] },
    { ...base, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
  ],
};
