#!/usr/bin/env node
// npm pack's prepack step: copies the JSON Schemas of docs/schema/ into the
// package's schema/, so that an installed package's callmem-mcp has its
// tools' input schemas (mcp/schemas.js reads schema/ first). Outside the
// repository (a package packed again) the schema/ already there is kept.
// With --remove (postpack), removes the copy again in the repository, so that
// it never stands in for docs/schema/ there.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const from = path.join(__dirname, '..', '..', '..', 'docs', 'schema');
const to = path.join(__dirname, '..', 'schema');
const inRepository = fs.existsSync(path.join(from, 'common.json'));
if (process.argv[2] === '--remove') {
  if (inRepository) fs.rmSync(to, { recursive: true, force: true });
  process.exit(0);
}
if (!inRepository) {
  if (fs.existsSync(path.join(to, 'common.json'))) process.exit(0);
  console.error(`callmem: no JSON Schemas in ${from} to copy into ${to}`);
  process.exit(1);
}
fs.rmSync(to, { recursive: true, force: true });
fs.mkdirSync(to);
const files = fs.readdirSync(from).filter((f) => f.endsWith('.json'));
for (const f of files) fs.copyFileSync(path.join(from, f), path.join(to, f));
console.error(`callmem: copied ${files.length} JSON Schemas into schema/`);
