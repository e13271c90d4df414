#!/usr/bin/env node
"use strict";
// The command line, compiled to dist/ when the package is built (npm ci / npm run build).
require("../dist/bin.js");
