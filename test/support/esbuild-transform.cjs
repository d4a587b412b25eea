// Jest transform: TypeScript and ESM (our sources, @middy/core) to CommonJS with esbuild,
// the bundler the functions ship with. No type checking here: `npm run typecheck` does that.
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, {
      loader: filename.endsWith('.ts') ? 'ts' : 'js',
      format: 'cjs',
      target: 'node22',
      sourcemap: 'inline',
      sourcefile: filename,
      supported: { 'dynamic-import': false },
    });
    return { code, map };
  },
};
