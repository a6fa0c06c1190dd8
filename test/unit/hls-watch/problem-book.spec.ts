// The problem bookkeeping shared by the watcher and the rendition tracker: a lasting problem is
// news once, and the status shows the newest one not yet over.
import assert from 'node:assert/strict';
import { RelaycastError } from '../../../lib/errors';
import { ProblemBook } from '../../../lib/hls-watch/problem-book';

const problem = (code: string, message = 'it broke'): RelaycastError => new RelaycastError(code, message);

describe('hls-watch problem book', () => {
  it('says a problem is news once, however often it is raised again, until it clears', () => {
    const book = new ProblemBook();
    assert.equal(book.raise('folder', problem('E_FOLDER_UNREADABLE')), true);
    assert.equal(book.raise('folder', problem('E_FOLDER_UNREADABLE')), false);
    assert.equal(book.clear('folder'), true);
    assert.equal(book.raise('folder', problem('E_FOLDER_UNREADABLE')), true, 'back after it was over: news again');
  });

  it('a different code or message under the same key is news', () => {
    const book = new ProblemBook();
    assert.equal(book.raise('layout', problem('E_FOLDER_UNREADABLE', 'EACCES')), true);
    assert.equal(book.raise('layout', problem('E_FOLDER_UNREADABLE', 'ENOTDIR')), true);
    assert.equal(book.raise('layout', problem('E_PATH_OUTSIDE', 'ENOTDIR')), true);
    assert.equal(book.newestCode, 'E_PATH_OUTSIDE');
  });

  it('keys are apart: the same problem under another key is news too', () => {
    const book = new ProblemBook();
    assert.equal(book.raise('rendition:0', problem('E_SEGMENT_LOST')), true);
    assert.equal(book.raise('rendition:1', problem('E_SEGMENT_LOST')), true);
  });

  it('clear says whether there was a problem to clear', () => {
    const book = new ProblemBook();
    assert.equal(book.clear('state'), false);
    book.raise('state', problem('E_STATE_WRITE'));
    assert.equal(book.clear('state'), true);
    assert.equal(book.clear('state'), false);
  });

  it('newestCode: none without problems; else the problem that began last, which raising an older one again does not change', () => {
    const book = new ProblemBook();
    assert.equal(book.newestCode, undefined);
    book.raise('folder', problem('E_FOLDER_UNREADABLE'));
    book.raise('watch', problem('E_WATCH_FAILED'));
    assert.equal(book.newestCode, 'E_WATCH_FAILED');
    book.raise('folder', problem('E_FOLDER_UNREADABLE'));
    assert.equal(book.newestCode, 'E_WATCH_FAILED', 'still the same folder problem, not a newer one');
    book.clear('watch');
    assert.equal(book.newestCode, 'E_FOLDER_UNREADABLE');
    book.raise('watch', problem('E_WATCH_FAILED'));
    book.clear('folder');
    book.raise('folder', problem('E_FOLDER_UNREADABLE'));
    assert.equal(book.newestCode, 'E_FOLDER_UNREADABLE', 'cleared and raised again: it began last');
    book.clear('folder');
    book.clear('watch');
    assert.equal(book.newestCode, undefined);
  });
});
