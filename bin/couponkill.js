#!/usr/bin/env node
'use strict';
// The compiled CLI (npm run build); see bin/cli.ts.
require('../dist/bin/cli.js');
