/**
 * Organizations API (organizations.mdx "Show an Organization"): `GET /organizations/:organization_name`
 * answers the organization with the token's permissions on it; an organization that does not exist or
 * that the token may not read answers 404 (handled before routing, like every organization path).
 */
import type { HandlerContext, Route } from './router';

function showOrganization(ctx: HandlerContext) {
  const name = ctx.params.org ?? '';
  return {
    status: 200,
    body: {
      data: {
        id: name,
        type: 'organizations',
        attributes: {
          name,
          'external-id': `org-${name}`,
          'created-at': '2021-08-16T21:22:49.566Z',
          email: `admin@${name}.example`,
          'collaborator-auth-policy': 'password',
          'cost-estimation-enabled': true,
          permissions: { 'can-update': false, 'can-destroy': false, 'can-create-workspace': true },
        },
        links: { self: `/api/v2/organizations/${name}` },
      },
    },
  };
}

export const organizationRoutes: Route[] = [
  { method: 'GET', path: '/api/v2/organizations/:org', handler: showOrganization },
];
