// npm run openapi: writes docs/openapi.json from the code (node/src/http/openapi.ts). test/unit/openapi.test.ts fails
// while the committed file differs from what this writes.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openApiText } from '../node/src/http/openapi.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = path.join(root, 'docs/openapi.json');
fs.writeFileSync(out, openApiText());
console.log(`wrote ${path.relative(root, out)}`);
