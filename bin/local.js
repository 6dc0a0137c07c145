#!/usr/bin/env node
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS shim: require() is the point */
'use strict';
// `npm start`: registers tsx's CommonJS loader (a fraction of what `--import tsx` costs to start, so a
// second start is refused at once), then runs the TypeScript entry point.
require('tsx/cjs');
require('./local.ts');
