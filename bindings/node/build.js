#!/usr/bin/env node
// Builds the addon (build/callmem.node, or the path given as argument) from
// src/callmem_node.c with the system's C compiler and the Node-API headers of
// the installed Node. Run by `npm install`, and by index.js on first use when
// the addon is missing (npm ≥ 11 skips a dependency's install script unless
// the project approved it). Downloads nothing. libcallmem itself is loaded at
// run time, so it need not exist yet.
//
// Environment: CC (default cc), NODE_INCLUDE_DIR (the directory holding
// node_api.h), CALLMEM_INCLUDE (directories holding callmem/callmem.h and the
// generated callmem/version.h, separated by ':'; when found, the addon's
// declarations are checked against the header), CALLMEM_WERROR=1 (warnings
// are errors, for the project's own tests).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const here = __dirname;
const repo = path.resolve(here, '..', '..');

function firstWith(dirs, file) {
  return dirs.find((d) => d && fs.existsSync(path.join(d, file)));
}

const nodeInclude = firstWith(
  [
    process.env.NODE_INCLUDE_DIR,
    process.env.npm_config_nodedir && path.join(process.env.npm_config_nodedir, 'include', 'node'),
    path.resolve(path.dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ],
  'node_api.h',
);
if (!nodeInclude) {
  console.error(
    'callmem: node_api.h not found. Install Node\'s headers (Debian: apt-get install libnode-dev) ' +
      'or set NODE_INCLUDE_DIR to the directory holding node_api.h.',
  );
  process.exit(1);
}

const includeDirs = [
  ...(process.env.CALLMEM_INCLUDE || '').split(path.delimiter),
  path.join(repo, 'include'),
  path.join(repo, 'build', 'include'),
  '/usr/local/include',
  '/usr/include',
];
const header = firstWith(includeDirs, 'callmem/callmem.h');
const version = firstWith(includeDirs, 'callmem/version.h');
const headerFlags = header && version ? ['-DCALLMEM_HAVE_HEADER', `-I${header}`, `-I${version}`] : [];

const out = path.resolve(process.argv[2] || path.join(here, 'build', 'callmem.node'));
fs.mkdirSync(path.dirname(out), { recursive: true });
const cc = process.env.CC || 'cc';
const args = [
  '-std=gnu11', '-O2', '-fPIC', '-shared', '-fvisibility=hidden',
  '-Wall', '-Wextra', ...(process.env.CALLMEM_WERROR ? ['-Werror'] : []),
  `-I${nodeInclude}`, ...headerFlags,
  path.join(here, 'src', 'callmem_node.c'),
  '-o', `${out}.tmp`, '-ldl', '-lpthread',
];
const r = spawnSync(cc, args, { stdio: 'inherit' });
if (r.error || r.status !== 0) {
  console.error(`callmem: building the addon failed (${cc} ${args.join(' ')})` +
    (r.error ? `: ${r.error.message}. Install a C compiler (Debian: apt-get install gcc) or set CC.` : ''));
  process.exit(1);
}
fs.renameSync(`${out}.tmp`, out);
const shown = path.relative(process.cwd(), out);
console.error(`callmem: built ${shown.startsWith('..') ? out : shown}` +
  (headerFlags.length ? ` (checked against ${path.join(header, 'callmem/callmem.h')})` : ''));
