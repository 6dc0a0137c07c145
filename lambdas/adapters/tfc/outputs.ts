import type { z } from 'zod';
import { requestJson, seg, type TfcContext } from './context';
import { OutputsDocument } from './resources';

export interface Outputs {
  /** Non-sensitive outputs only. */
  values: Record<string, unknown>;
  /** Names of sensitive outputs; their values are never read into memory we keep. */
  sensitive: string[];
}

/** A workspace's current state version outputs (state-version-outputs.mdx). */
export class OutputsApi {
  public constructor(private readonly ctx: TfcContext) {}

  /**
   * The workspace's current outputs. Sensitive ones are reported by name only: TFC returns them as null
   * here, and any value it does send is dropped. A 503 (outputs still processing) is retried.
   */
  public async current(workspaceId: string): Promise<Outputs> {
    const path = `/api/v2/workspaces/${seg(workspaceId)}/current-state-version-outputs`;
    const entries: Array<[string, unknown]> = [];
    const sensitive: string[] = [];
    // The list is paginated (state-version-outputs.mdx, index.mdx "Pagination"): read every page, 100 at
    // a time (the largest page size).
    let page: number | null | undefined = 1;
    for (let pages = 0; page && pages < 100; pages += 1) {
      const query = { 'page[number]': String(page), 'page[size]': '100' };
      const doc: z.infer<typeof OutputsDocument> = await requestJson(
        this.ctx,
        { method: 'GET', path, query },
        OutputsDocument,
      );
      for (const { attributes } of doc.data) {
        if (attributes.sensitive) sensitive.push(attributes.name);
        else entries.push([attributes.name, attributes.value]);
      }
      page = doc.meta?.pagination['next-page'];
    }
    return { values: Object.fromEntries(entries), sensitive };
  }
}
