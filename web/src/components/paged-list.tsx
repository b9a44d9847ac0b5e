import type { ComponentChildren } from 'preact';
import type { Page } from '../api/types';
import { Pager } from './pager';
import type { CursorPages } from './use-cursor-pages';

/** A page of a list and its pager: the items rendered by `children`, the pager once the page has loaded. */
export const PagedList = <T,>({
  page,
  pages,
  children,
}: {
  page: Page<T> | null;
  pages: CursorPages;
  children: (item: T) => ComponentChildren;
}) => (
  <>
    <ul class="rows">{page?.items.map(children)}</ul>
    {page && (
      <Pager
        page={pages.page}
        hasNext={page.nextCursor !== null}
        onPrevious={pages.previous}
        onNext={() => pages.next(page.nextCursor)}
      />
    )}
  </>
);
