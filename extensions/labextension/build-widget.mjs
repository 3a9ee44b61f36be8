// Bundles the notebook Annotator's browser side (src/widget.ts) with OpenSeadragon and
// Annotorious into the echoes package (extensions/echoes/widgets/static/): the widget
// loads no script from the network. The licences of what is bundled go beside it.
import { build } from 'esbuild';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const OUT = '../echoes/widgets/static';
// The packages whose code is in the bundle (Annotorious's dist carries its own
// dependencies: PixiJS, uuid).
const BUNDLED = [
  'openseadragon',
  '@annotorious/openseadragon',
  '@annotorious/annotorious',
  '@annotorious/core',
  'pixi.js',
  'uuid'
];

await build({
  entryPoints: ['src/widget.ts'],
  bundle: true,
  format: 'esm',
  minify: true,
  legalComments: 'eof',
  outfile: `${OUT}/annotator.js`,
  logLevel: 'warning'
});

// npm puts a package at the top, or under the one that needs another version of it.
const folderOf = name =>
  [join('node_modules', name), join('node_modules/@annotorious/openseadragon/node_modules', name)].find(
    folder => existsSync(join(folder, 'package.json'))
  );
const notices = BUNDLED.map(name => {
  const folder = folderOf(name);
  const meta = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
  const file = ['LICENSE', 'LICENSE.txt', 'LICENSE.md'].map(f => join(folder, f)).find(existsSync);
  const text = file ? readFileSync(file, 'utf8').trim() : '(the package ships no licence file)';
  return `${meta.name} ${meta.version}, licence ${meta.license}\n\n${text}\n`;
});
writeFileSync(
  `${OUT}/LICENSES.txt`,
  'The notebook Annotator (annotator.js) bundles these packages:\n\n' +
    notices.join('\n' + '-'.repeat(72) + '\n\n')
);
