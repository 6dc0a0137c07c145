/**
 * Projects API (projects.mdx): create, list (`q`, `filter[names]`), show, update, delete. Every
 * organization has a `Default Project`; workspaces name theirs in `relationships.project`.
 */
import {
  InvalidAttributeError,
  errorReply,
  notFound,
  optionalString,
  paginate,
  readTyped,
  type Reply,
} from './jsonapi';
import type { ProjectRecord } from './records';
import type { HandlerContext, Route } from './router';
import { serializeProject } from './serializers';

/**
 * projects.mdx: "letters, numbers, spaces, `-`, and `_`, but cannot start or end with spaces. It must
 * be at least 3 characters long and no more than 36 characters long."
 */
const NAME_PATTERN = /^[A-Za-z0-9_-]([A-Za-z0-9 _-]{1,34})[A-Za-z0-9_-]$/;

function validName(ctx: HandlerContext, name: string | undefined, exceptId?: string): string {
  if (name === undefined || name === '') {
    throw new InvalidAttributeError('/data/attributes/name', "Name can't be blank");
  }
  if (!NAME_PATTERN.test(name)) throw new InvalidAttributeError('/data/attributes/name', 'Name is invalid');
  // Assumed: the same uniqueness error as workspaces (names match case-insensitively, per the list filter).
  if (ctx.store.projectByName(name, exceptId) !== undefined) {
    throw new InvalidAttributeError('/data/attributes/name', 'Name has already been taken');
  }
  return name;
}

function withProject(ctx: HandlerContext, fn: (project: ProjectRecord) => Reply): Reply {
  const project = ctx.store.projects.get(ctx.params.projectId ?? '');
  return project === undefined ? notFound() : fn(project);
}

function show(ctx: HandlerContext, project: ProjectRecord, status = 200): Reply {
  return { status, body: { data: serializeProject(ctx.store, project) } };
}

function createProject(ctx: HandlerContext): Reply {
  const { attributes } = readTyped(ctx.body, 'projects');
  const project = ctx.store.createProject(validName(ctx, optionalString(attributes, 'name')));
  return show(ctx, project, 201);
}

/** projects.mdx "List projects": `filter[names]` (comma-separated, exact, case-insensitive) wins over `q`. */
function listProjects(ctx: HandlerContext): Reply {
  const names = (ctx.query.get('filter[names]') ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  const q = (ctx.query.get('q') ?? '').toLowerCase();
  const matching = [...ctx.store.projects.values()]
    .filter((p) =>
      names.length > 0 ? names.includes(p.name.toLowerCase()) : p.name.toLowerCase().includes(q),
    )
    .sort((a, b) => a.name.localeCompare(b.name));
  const path = `/api/v2/organizations/${ctx.store.organization}/projects`;
  const page = paginate(matching, ctx.query, ctx.store.baseUrl, path);
  return {
    status: 200,
    body: {
      data: page.items.map((p) => serializeProject(ctx.store, p)),
      links: page.links,
      meta: page.meta,
    },
  };
}

function updateProject(ctx: HandlerContext, project: ProjectRecord): Reply {
  const { attributes } = readTyped(ctx.body, 'projects');
  const name = optionalString(attributes, 'name');
  if (name !== undefined && name !== project.name) project.name = validName(ctx, name, project.id);
  return show(ctx, project);
}

/** projects.mdx: "A project cannot be deleted if it contains workspaces" (409 assumed; no text documented). */
function deleteProject(ctx: HandlerContext, project: ProjectRecord): Reply {
  if (project.id === ctx.store.defaultProjectId || ctx.store.projectWorkspaces(project.id).length > 0) {
    return errorReply(409, 'conflict', 'Project cannot be deleted while it contains workspaces');
  }
  ctx.store.projects.delete(project.id);
  return { status: 204 };
}

const ORG_PROJECTS = '/api/v2/organizations/:org/projects';
const PROJECT = '/api/v2/projects/:projectId';

export const projectRoutes: Route[] = [
  { method: 'POST', path: ORG_PROJECTS, handler: createProject },
  { method: 'GET', path: ORG_PROJECTS, handler: listProjects },
  { method: 'GET', path: PROJECT, handler: (ctx) => withProject(ctx, (p) => show(ctx, p)) },
  { method: 'PATCH', path: PROJECT, handler: (ctx) => withProject(ctx, (p) => updateProject(ctx, p)) },
  { method: 'DELETE', path: PROJECT, handler: (ctx) => withProject(ctx, (p) => deleteProject(ctx, p)) },
];
