#!/usr/bin/env node
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS shim: require() is the point */
'use strict';
// The `tenantctl` executable: registers tsx's CommonJS loader, then runs the TypeScript entry point.
// Paths resolve from this file, so it works from any working directory.
require('tsx/cjs');
require('./tenantctl.ts');
