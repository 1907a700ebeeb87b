#!/usr/bin/env node
// A native-solc-compatible front for the npm `solc` (wasm) package.
// Why by hand: forge cannot download a native solc on these machines and `solcjs --standard-json`
// prints a stray line before its JSON. forge only needs `--version` and `--standard-json` on
// stdin/stdout, so this shim offers exactly that, resolving imports from the working directory,
// any --base-path/--include-path given, and node_modules (OpenZeppelin).
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require(path.join(__dirname, '..', 'node_modules', 'solc'));

const args = process.argv.slice(2);
if (args.includes('--version')) {
  // forge parses "Version: X.Y.Z+commit.HASH.Linux.g++" like a native build.
  const v = solc.version().replace(/\.Emscripten\.clang$/, '');
  process.stdout.write('solc, the solidity compiler commandline interface\nVersion: ' + v + '.Linux.g++\n');
  process.exit(0);
}

const roots = [process.cwd(), path.join(__dirname, '..'), path.join(__dirname, '..', 'node_modules')];
for (let i = 0; i < args.length; i++) {
  if ((args[i] === '--base-path' || args[i] === '--include-path' || args[i] === '--allow-paths') && args[i + 1]) {
    for (const p of args[i + 1].split(',')) roots.push(path.resolve(p));
  }
}

function findImports(p) {
  const candidates = path.isAbsolute(p) ? [p] : roots.map((r) => path.join(r, p));
  for (const c of candidates) {
    try { return { contents: fs.readFileSync(c, 'utf8') }; } catch (e) { /* next root */ }
  }
  return { error: 'File not found: ' + p };
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', () => {
  const out = solc.compile(input, { import: findImports });
  process.stdout.write(out);
});
