import { useState } from 'preact/hooks';

export interface CursorPages {
  /** 0 for the first page. */
  readonly page: number;
  /** The current page's cursor, null for the first. */
  readonly cursor: string | null;
  readonly next: (nextCursor: string | null) => void;
  readonly previous: () => void;
  readonly reset: () => void;
}

/** The cursors of the pages visited, so the buyer can go back without the API knowing about it. */
export const useCursorPages = (): CursorPages => {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const page = cursors.length - 1;
  return {
    page,
    cursor: cursors[page] ?? null,
    next: (nextCursor: string | null) => {
      if (nextCursor !== null) setCursors([...cursors, nextCursor]);
    },
    previous: () => {
      if (cursors.length > 1) setCursors(cursors.slice(0, -1));
    },
    reset: () => setCursors([null]),
  };
};
