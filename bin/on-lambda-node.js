#!/usr/bin/env node
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS script run by npm: require() is the point */
'use strict';
// `npm run test:lambda-node`: runs a command (here jest's unit project) on the Node.js major of the
// functions' Lambda runtime instead of the Node.js that runs npm. The binary comes from the npm registry
// as `node-<platform>-<arch>` (the official Node.js build packaged for npm), fetched once into npm's
// cache by `npm exec`, at the version `package.json` pins in `config.lambdaNode`; a test holds its major
// equal to FUNCTION_RUNTIME. Usage: node bin/on-lambda-node.js <script> [args...]
const { spawnSync } = require('node:child_process');
const { config } = require('../package.json');

const version = config.lambdaNode;
const binary = `node-${process.platform}-${process.arch}@${version}`;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const args = ['exec', '--yes', `--package=${binary}`, '--', 'node', ...process.argv.slice(2)];
const check = spawnSync(npm, ['exec', '--yes', `--package=${binary}`, '--', 'node', '--version'], {
  encoding: 'utf8',
});
if (check.status !== 0 || check.stdout.trim() !== `v${version}`) {
  process.stderr.write(
    `could not run Node.js ${version} from the npm package ${binary}: ${(check.stderr || check.stdout || String(check.error)).trim()}\n`,
  );
  process.exit(1);
}
process.stdout.write(`on Node.js ${version} (${binary}), the Lambda runtime's major\n`);
const run = spawnSync(npm, args, { stdio: 'inherit' });
process.exit(run.status ?? 1);
