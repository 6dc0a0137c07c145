import * as z from 'zod';
import { isUnprocessable, requestJson, seg, type TfcContext } from './context';

const ProjectsDocument = z.object({
  data: z.array(z.object({ id: z.string(), attributes: z.object({ name: z.string() }) })),
});
const ProjectDocument = z.object({ data: z.object({ id: z.string() }) });

/** Projects (projects.mdx): the control plane keeps each environment's workspaces in one. */
export class ProjectsApi {
  public constructor(private readonly ctx: TfcContext) {}

  /**
   * The id of the project named `name`, created when missing (projects.mdx "List projects" with
   * `filter[names]`, "Create a Project"); a create that races another answers 422 and is read again.
   */
  public async ensure(name: string, description: string): Promise<string> {
    const found = await this.find(name);
    if (found !== undefined) return found;
    const path = `/api/v2/organizations/${seg(this.ctx.organization)}/projects`;
    const body = { data: { type: 'projects', attributes: { name, description } } };
    try {
      const doc = await requestJson(
        this.ctx,
        { method: 'POST', path, body, idempotent: true },
        ProjectDocument,
      );
      this.ctx.logger?.info('TFC project created', { projectId: doc.data.id, name });
      return doc.data.id;
    } catch (error) {
      if (!isUnprocessable(error, /taken|already exists/i)) throw error;
      const raced = await this.find(name);
      if (raced === undefined) throw error;
      return raced;
    }
  }

  private async find(name: string): Promise<string | undefined> {
    const path = `/api/v2/organizations/${seg(this.ctx.organization)}/projects`;
    const doc = await requestJson(
      this.ctx,
      { method: 'GET', path, query: { 'filter[names]': name } },
      ProjectsDocument,
    );
    return doc.data.find((p) => p.attributes.name.toLowerCase() === name.toLowerCase())?.id;
  }
}
