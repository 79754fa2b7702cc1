// Builds the `policy` command: precompiled schema validators, then one CommonJS bundle.
// A bundle starts faster than resolving node_modules at run time (research:
// hooks-ci-github.md, 1). CommonJS, not ESM: on Node 20 the ESM loader made the CEL
// library cost ~25 ms to load against ~6.5 ms for the same code bundled as CommonJS
// (measured with bench/). Modules the source imports with `await import()` stay lazy:
// esbuild evaluates them on first use, so a cached pre-push check never runs the YAML
// parser's or ajv's module code.
//
// `--action [--out FILE]` builds the GitHub Action's bundle instead (action/index.cjs, committed:
// an action's checkout has no node_modules, so everything it loads is inside that one file).
// `npm run build` never writes it; test/ci/action-bundle.test.ts fails when the committed one is stale.
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { buildValidators } from './build-validators.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** What both bundles share. */
const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  define: { __TOOL_VERSION__: JSON.stringify(pkg.version), 'import.meta.url': '__importMetaUrl' },
  // Source modules locate the package (built-in rules, schemas) from import.meta.url.
  banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
};

/** dist/: the bundle, its source map and the launcher. */
export async function buildCli() {
  await buildValidators(join(root, 'src', 'generated'));
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  mkdirSync(join(root, 'dist'), { recursive: true });
  await build({
    ...common,
    entryPoints: [join(root, 'src', 'cli', 'main.ts')],
    outfile: join(root, 'dist', 'policy.cjs'),
    sourcemap: 'linked',
  });
  copyFileSync(join(root, 'scripts', 'launcher.cjs'), join(root, 'dist', 'cli.cjs'));
  chmodSync(join(root, 'dist', 'cli.cjs'), 0o755);
}

/**
 * The action's single file (no source map: it is committed, and must be the same bytes on
 * every machine that builds it). It lives one folder below the package root, as dist/ does,
 * so it finds rules/ and schema/ the same way.
 */
export async function buildAction(outfile = join(root, 'action', 'index.cjs')) {
  await buildValidators(join(root, 'src', 'generated'));
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    ...common,
    entryPoints: [join(root, 'src', 'cli', 'action.ts')],
    outfile,
    sourcemap: false,
  });
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args.includes('--action')) {
    const out = args.indexOf('--out');
    await buildAction(out >= 0 && args[out + 1] ? resolve(args[out + 1]) : undefined);
  } else {
    await buildCli();
  }
}
