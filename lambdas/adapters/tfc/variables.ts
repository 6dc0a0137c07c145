import type { z } from 'zod';
import { requestJson, seg, type TfcContext } from './context';
import { VariablesDocument, type VariableResource } from './resources';

export interface VariableInput {
  key: string;
  value: string;
  category: 'terraform' | 'env';
  sensitive?: boolean;
  description?: string;
}

export interface UpsertVariablesResult {
  created: string[];
  updated: string[];
  unchanged: string[];
}

/** Workspace variables (workspace-variables.mdx). */
export class VariablesApi {
  public constructor(private readonly ctx: TfcContext) {}

  /**
   * Creates missing variables and updates changed ones; variables not named are left alone. Values are
   * always literal strings (`hcl: false`). A sensitive variable's value cannot be read back, so it is
   * always rewritten; a sensitive variable stays sensitive.
   */
  public async upsert(workspaceId: string, vars: readonly VariableInput[]): Promise<UpsertVariablesResult> {
    return this.apply(workspaceId, await this.list(workspaceId), vars);
  }

  public async list(workspaceId: string): Promise<VariableResource[]> {
    const path = `/api/v2/workspaces/${seg(workspaceId)}/vars`;
    const all: VariableResource[] = [];
    let page: number | undefined = 1;
    // The documented response is one unpaginated list; follow pagination metadata if TFC sends it.
    while (page !== undefined && page <= 50) {
      const query: Record<string, string> | undefined =
        page > 1 ? { 'page[number]': String(page) } : undefined;
      const doc: z.infer<typeof VariablesDocument> = await requestJson(
        this.ctx,
        { method: 'GET', path, query },
        VariablesDocument,
      );
      all.push(...doc.data);
      page = doc.meta?.pagination['next-page'] ?? undefined;
    }
    return all;
  }

  /** Like {@link upsert}, against a list of the workspace's variables the caller already read. */
  public async apply(
    workspaceId: string,
    existing: readonly VariableResource[],
    vars: readonly VariableInput[],
  ): Promise<UpsertVariablesResult> {
    const result: UpsertVariablesResult = { created: [], updated: [], unchanged: [] };
    const desired = new Map(vars.map((v) => [`${v.category}/${v.key}`, v]));
    for (const input of desired.values()) {
      const current = existing.find(
        (e) => e.attributes.key === input.key && e.attributes.category === input.category,
      );
      if (current === undefined) {
        await this.create(workspaceId, input);
        result.created.push(input.key);
      } else if (needsUpdate(current, input)) {
        await this.update(workspaceId, current, input);
        result.updated.push(input.key);
      } else {
        result.unchanged.push(input.key);
      }
    }
    this.ctx.logger?.info('TFC variables upserted', { workspaceId, ...result });
    return result;
  }

  private async create(workspaceId: string, input: VariableInput): Promise<void> {
    const attributes = {
      key: input.key,
      value: input.value,
      category: input.category,
      hcl: false,
      sensitive: input.sensitive ?? false,
      ...(input.description === undefined ? {} : { description: input.description }),
    };
    const body = { data: { type: 'vars', attributes } };
    await this.ctx.http.api({ method: 'POST', path: `/api/v2/workspaces/${seg(workspaceId)}/vars`, body });
  }

  private async update(workspaceId: string, current: VariableResource, input: VariableInput): Promise<void> {
    const attributes = {
      value: input.value,
      hcl: false,
      ...(input.sensitive === true ? { sensitive: true } : {}),
      ...(input.description === undefined ? {} : { description: input.description }),
    };
    const body = { data: { type: 'vars', id: current.id, attributes } };
    const path = `/api/v2/workspaces/${seg(workspaceId)}/vars/${seg(current.id)}`;
    await this.ctx.http.api({ method: 'PATCH', path, body });
  }
}

function needsUpdate(current: VariableResource, input: VariableInput): boolean {
  const { attributes } = current;
  if (attributes.sensitive) return true;
  if (input.sensitive === true) return true;
  if (input.description !== undefined && input.description !== (attributes.description ?? '')) return true;
  return attributes.value !== input.value || attributes.hcl;
}
