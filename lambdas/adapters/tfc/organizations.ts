import { seg, type TfcContext } from './context';
import { TfcNotFoundError } from './errors';

/** The client's organization (organizations.mdx). */
export class OrganizationsApi {
  public constructor(private readonly ctx: TfcContext) {}

  /**
   * Whether the token can read the organization (`GET /organizations/:name`, organizations.mdx "Show an
   * Organization"). 404 means not found or not permitted (index.mdx), so false says only "cannot read".
   */
  public async readable(): Promise<boolean> {
    try {
      await this.ctx.http.api({ method: 'GET', path: `/api/v2/organizations/${seg(this.ctx.organization)}` });
      return true;
    } catch (error) {
      if (error instanceof TfcNotFoundError) return false;
      throw error;
    }
  }
}
