// One way to read an error for the screen, whatever threw it: a window command's typed error
// (`CommandError`: code, message, whether retrying may help), an Error, or a sentence.

export interface ShownError {
  message: string;
  /** Doing the same again may succeed (the database was busy or out of reach). */
  retry: boolean;
  /** The command error's code, when there is one (`not_found`, `busy`, …). */
  code?: string;
}

function isCommandError(e: unknown): e is { code: string; message: string; retry: boolean } {
  if (!e || typeof e !== 'object') return false;
  const o = e as Record<string, unknown>;
  return (
    typeof o.code === 'string' && typeof o.message === 'string' && typeof o.retry === 'boolean'
  );
}

/** What to show for `e`; null when there is nothing to show. */
export function shownError(e: unknown): ShownError | null {
  if (e === null || e === undefined || e === '' || e === false) return null;
  if (typeof e === 'string') return { message: e, retry: false };
  if (isCommandError(e)) return { message: e.message, retry: e.retry, code: e.code };
  if (e instanceof Error) return { message: e.message, retry: false };
  return { message: JSON.stringify(e), retry: false };
}

/** Whether a row error's message already names its path (`the email at \`email\` is …`): the
 * path is then not shown a second time beside it. */
export function namesPath(message: string, path: string | undefined): boolean {
  return !!path && message.includes('`' + path + '`');
}
