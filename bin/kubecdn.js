#!/usr/bin/env node
// The kubecdn command: the compiled CLI (npm run build writes dist/).
import '../dist/cli/src/main.js';
