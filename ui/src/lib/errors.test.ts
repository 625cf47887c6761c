import { describe, expect, it } from 'vitest';
import { namesPath, shownError } from './errors';

describe('shownError', () => {
  it('reads a command error with its code and whether to retry', () => {
    expect(shownError({ code: 'busy', message: 'database is locked', retry: true })).toEqual({
      message: 'database is locked',
      retry: true,
      code: 'busy',
    });
  });

  it('reads an Error, a sentence, and nothing', () => {
    expect(shownError(new Error('boom'))).toEqual({ message: 'boom', retry: false });
    expect(shownError('Give whole numbers.')).toEqual({
      message: 'Give whole numbers.',
      retry: false,
    });
    for (const none of [null, undefined, '']) expect(shownError(none)).toBeNull();
  });

  it('shows anything else as its JSON rather than dropping it', () => {
    expect(shownError({ odd: 1 })).toEqual({ message: '{"odd":1}', retry: false });
  });
});

describe('namesPath', () => {
  it('is true only when the message quotes the path itself', () => {
    expect(namesPath('the email at `email` is boolean', 'email')).toBe(true);
    expect(namesPath('no key to match', 'email')).toBe(false);
    expect(namesPath('the email at `email2` is boolean', 'email')).toBe(false);
    expect(namesPath('anything', undefined)).toBe(false);
  });
});
