// The outbox's boundary, checked on the source text: src/outbox/ is the only code that adds,
// removes or moves outbox entries (so the seen rule lives in one place), and the poller reaches
// the outbox through it, never through the delivery worker (notify/).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { importsInto, sourceFiles, srcPath } from '../_helpers/source-tree.js';

// `.outbox` followed by an assignment (not a comparison), an element assignment, or a method
// that changes the array in place. Reads (filter, find, some, map, length, for…of) do not match.
const MUTATORS = 'push|pop|shift|unshift|splice|sort|reverse|fill|copyWithin';
const OUTBOX_WRITE = new RegExp(
  String.raw`\.outbox\s*(?:=(?!=)|\[[^\]]*\]\s*=(?!=)|\.(?:${MUTATORS})\s*\()|delete\s+[\w.]+\.outbox\b`,
);

function writesOutsideOutbox(): string[] {
  return sourceFiles()
    .filter((f) => !srcPath(f).startsWith('outbox/'))
    .flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .flatMap((line, i) =>
          OUTBOX_WRITE.test(line) ? [`src/${srcPath(f)}:${i + 1}: ${line.trim()}`] : [],
        ),
    );
}

describe('the outbox boundary', () => {
  it('tells writes of state.outbox from reads', () => {
    const writes = [
      'draft.outbox.push(entry);',
      'draft.outbox = draft.outbox.filter((e) => e.chatId !== chatId);',
      'draft.outbox.splice(index, 1);',
      'draft.outbox[0] = entry;',
      'state.outbox.sort((a, b) => a.id.localeCompare(b.id));',
      'delete draft.outbox;',
    ];
    const reads = [
      'const waiting = state.outbox.filter((e) => e.chatId === chatId).length;',
      'for (const e of state.outbox) count(e);',
      'if (state.outbox.length === 0) return;',
      'const head = state.outbox[0];',
      'if (draft.outbox == undefined) return;',
      'return draft.outbox.some((e) => e.id === id);',
    ];
    for (const line of writes) assert.ok(OUTBOX_WRITE.test(line), `a write: ${line}`);
    for (const line of reads) assert.ok(!OUTBOX_WRITE.test(line), `a read: ${line}`);
  });

  it('only src/outbox/ writes state.outbox', () => {
    const found = writesOutsideOutbox();
    assert.deepEqual(
      found,
      [],
      `write the outbox through src/outbox/ (enqueue, settle, drop, migrate):\n${found.join('\n')}`,
    );
  });

  it('the poller uses src/outbox/ and ports, never notify/', () => {
    assert.deepEqual(
      importsInto('poller', (path) => path.startsWith('notify/')),
      [],
    );
  });

  it('src/outbox/ depends on the state and the domain only', () => {
    assert.deepEqual(
      importsInto('outbox', (path) => /^(?:notify|poller|bot|portal)\//.test(path)),
      [],
    );
  });
});
