// Set up in every test file (vitest.config.ts setupFiles): the temp dirs its nodes used are removed after the file's
// own afterAll hooks (hooks run in stack order: this one, registered first, runs last), when its nodes are stopped.
import { afterAll } from 'vitest';
import { removeTempDirs } from './nodeProcess.js';

afterAll(removeTempDirs);
