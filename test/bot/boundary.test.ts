// The layout of src/bot/ (create-bot.ts describes it) as import rules:
//   - context.ts and support/ import nothing from features/: every feature imports them, so one
//     such import is one step from a cycle, and a helper that needs a feature is not a helper;
//   - a feature never imports another feature: what two features share belongs in support/;
//   - outside src/bot/, nothing imports a feature: the bot is reached through create-bot.ts.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SRC, importedPaths, importsInto, sourceFiles, srcPath } from '../_helpers/source-tree.js';

const FEATURES = 'bot/features/';

/** The feature a path under src/ belongs to ("setup" for bot/features/setup.ts), if any. */
function featureOf(path: string): string | undefined {
  if (!path.startsWith(FEATURES)) return undefined;
  // One file per feature today; a feature that grows into a folder is still one feature.
  const [first = ''] = path.slice(FEATURES.length).split('/');
  return first.replace(/\.[jt]s$/, '');
}

interface Edge {
  from: string;
  to: string;
}

const edge = (e: Edge) => `src/${e.from} imports src/${e.to}`;

/** Imports from one feature into another feature. */
function crossFeatureImports(edges: readonly Edge[]): string[] {
  return edges
    .filter((e) => {
      const from = featureOf(e.from);
      const to = featureOf(e.to);
      return from !== undefined && to !== undefined && from !== to;
    })
    .map(edge);
}

function edgesOf(files: readonly string[]): Edge[] {
  return files.flatMap((f) => importedPaths(f).map((to) => ({ from: srcPath(f), to })));
}

describe('the bot boundary', () => {
  it('context.ts imports nothing from features/', () => {
    const edges = edgesOf([join(SRC, 'bot', 'context.ts')]);
    assert.deepEqual(edges.filter((e) => featureOf(e.to) !== undefined).map(edge), []);
  });

  it('support/ imports nothing from features/', () => {
    assert.deepEqual(
      importsInto('bot/support', (path) => featureOf(path) !== undefined),
      [],
    );
  });

  it('features do not import each other', () => {
    assert.deepEqual(crossFeatureImports(edgesOf(sourceFiles(join(SRC, 'bot', 'features')))), []);
  });

  it('outside src/bot/, nothing imports a feature', () => {
    const outside = sourceFiles().filter((f) => !srcPath(f).startsWith('bot/'));
    assert.deepEqual(
      edgesOf(outside)
        .filter((e) => featureOf(e.to) !== undefined)
        .map(edge),
      [],
    );
  });

  it('flags a feature importing another, not a feature importing support/', () => {
    const made = [
      { from: 'bot/features/latest.ts', to: 'bot/features/subscriptions.js' },
      { from: 'bot/features/latest.ts', to: 'bot/support/case-buttons.js' },
      { from: 'bot/features/setup/wizard.ts', to: 'bot/features/setup/parse.js' },
    ];
    assert.deepEqual(crossFeatureImports(made), [
      'src/bot/features/latest.ts imports src/bot/features/subscriptions.js',
    ]);
  });

  it('sees the real imports (the rules above are not vacuous)', () => {
    const features = sourceFiles(join(SRC, 'bot', 'features'));
    assert.ok(features.length >= 5, `found ${features.length} feature files`);
    const fromFeatures = edgesOf(features).map((e) => e.to);
    assert.ok(fromFeatures.includes('bot/context.js'), 'features import src/bot/context.ts');
    assert.ok(fromFeatures.includes('bot/support/reply.js'), 'features import support/reply.ts');
    const fromCreateBot = importedPaths(join(SRC, 'bot', 'create-bot.ts'));
    for (const f of features) {
      assert.ok(
        fromCreateBot.includes(srcPath(f).replace(/\.ts$/, '.js')),
        `create-bot.ts registers ${srcPath(f)}`,
      );
    }
  });
});
