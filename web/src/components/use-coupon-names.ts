import { useEffect, useState } from 'preact/hooks';
import type { Api } from '../api/client';

const names = new Map<string, string>();

/** Coupon names for the ids on a page, each read once per tab (a name never changes). */
export const useCouponNames = (api: Api, couponIds: readonly string[]): ReadonlyMap<string, string> => {
  const [, setVersion] = useState(0);
  const missing = [...new Set(couponIds)].filter((id) => !names.has(id));
  const key = missing.join(',');
  useEffect(() => {
    if (key === '') return;
    let live = true;
    void Promise.allSettled(
      key.split(',').map(async (id) => {
        names.set(id, (await api.coupon(id)).name);
      }),
    ).then(() => live && setVersion((n) => n + 1));
    return () => {
      live = false;
    };
  }, [api, key]);
  return names;
};
