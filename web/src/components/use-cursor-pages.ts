import { useState } from 'preact/hooks';

/** The cursors of the pages visited: `cursor` is the current page's, null for the first. */
export const useCursorPages = () => {
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
