/**
 * Cursor paging (the APIs page by opaque `nextCursor`, never by offset): the cursors of the pages seen so far let
 * the buyer go back without the API knowing about it.
 */
export const Pager = ({
  page,
  hasNext,
  onPrevious,
  onNext,
}: {
  page: number;
  hasNext: boolean;
  onPrevious: () => void;
  onNext: () => void;
}) => (
  <nav class="pager" aria-label="Pages">
    <button type="button" onClick={onPrevious} disabled={page === 0}>
      Previous
    </button>
    <span>Page {page + 1}</span>
    <button type="button" onClick={onNext} disabled={!hasNext}>
      Next
    </button>
  </nav>
);
