/**
 * Reads the projection lag the read API serves (`GET /api/v1/projections/lag` → `{maxLag, …}`), the same figure
 * KEDA scales the projector on. Unknown (undefined) when unreachable or malformed: a reconcile never fails over it.
 */
export async function readProjectionLag(url: string, timeoutMs = 1000): Promise<number | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return undefined;
    const body: unknown = await response.json();
    if (body && typeof body === 'object' && 'maxLag' in body) {
      const lag = Number(body.maxLag);
      return Number.isFinite(lag) && lag >= 0 ? Math.round(lag) : undefined;
    }
    return undefined;
  } catch {
    return undefined;
  }
}
