#!/usr/bin/env node
import { registryMain } from '../registry/registry-main.js';

// `berth registry …` runs this as its own process: the registry shares nothing with berthd.
void registryMain(process.argv.slice(2)).then((code) => {
  if (code >= 0) process.exit(code);
});
