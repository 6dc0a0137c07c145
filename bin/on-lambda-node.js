#!/usr/bin/env node
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS script run by npm: require() is the point */
'use strict';
// `npm run test:lambda-node`: runs a command (here jest's unit project) on the Node.js major of the
// functions' Lambda runtime instead of the Node.js that runs npm. The binary comes from the npm registry
// as `node-<platform>-<arch>` (the official Node.js build packaged for npm), fetched once into npm's
// cache by `npm exec`, at the version `package.json` pins in `config.lambdaNode`; a test holds its major
// equal to FUNCTION_RUNTIME, and jest.config.js refuses any other Node.js it is asked for (LAMBDA_NODE).
// Usage: node bin/on-lambda-node.js <script> [args...]
const { spawnSync } = require('node:child_process');
const { config } = require('../package.json');

const version = config.lambdaNode;
const binary = `node-${process.platform}-${process.arch}@${version}`;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
process.stdout.write(`on Node.js ${version} (${binary}), the Lambda runtime's major\n`);
// npm exec fails with npm's own error when the package cannot be had (no build for this platform, offline).
const run = spawnSync(npm, ['exec', '--yes', `--package=${binary}`, '--', 'node', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, LAMBDA_NODE: version },
});
process.exit(run.status ?? 1);
