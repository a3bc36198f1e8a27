/**
 * History in pages, newest first: a page of at most `limit` items after an opaque cursor, and the cursor
 * of the next page when there is one. A cursor is the last item's (created_at, id), so a page stays right
 * while newer items arrive above it and older ones are removed below it.
 */
export type PageKey = { at: string; id: string };
export type Page<T> = { items: T[]; next: string | null };

/** A cursor this API did not give (REST answers 400 naming `before`). */
export class CursorError extends Error {
  override readonly name = 'CursorError';
}

export function pageOf<T>(newestFirst: readonly T[], keyOf: (item: T) => PageKey, limit: number, before: string | undefined): Page<T> {
  const after = before === undefined ? undefined : decodeCursor(before);
  const start = after === undefined ? 0 : newestFirst.findIndex((item) => isOlder(keyOf(item), after));
  const items = start < 0 ? [] : newestFirst.slice(start, start + limit);
  const last = items.at(-1);
  const more = start >= 0 && start + limit < newestFirst.length;
  return { items, next: more && last !== undefined ? encodeCursor(keyOf(last)) : null };
}

/** Created at or after `since` and before `until` (ISO-8601; either may be absent): a history's time filter. */
export function inTimeRange(createdAt: string, range: { since?: string | undefined; until?: string | undefined }): boolean {
  // Without a range nothing is parsed: a page of a long history is filtered on every request.
  if (range.since === undefined && range.until === undefined) return true;
  const at = Date.parse(createdAt);
  return (range.since === undefined || at >= Date.parse(range.since)) && (range.until === undefined || at < Date.parse(range.until));
}

/** Newest first: later created, and for the same instant the greater id first. */
export function newerFirst(a: PageKey, b: PageKey): number {
  return a.at < b.at ? 1 : a.at > b.at ? -1 : b.id.localeCompare(a.id);
}

function isOlder(key: PageKey, than: PageKey): boolean {
  return newerFirst(key, than) > 0;
}

function encodeCursor(key: PageKey): string {
  return Buffer.from(JSON.stringify([key.at, key.id])).toString('base64url');
}

function decodeCursor(cursor: string): PageKey {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof at === 'string' && typeof id === 'string') return { at, id };
  } catch {
    // refused below
  }
  throw new CursorError('is not a cursor this API gave (take it from the Link header of the page before)');
}
