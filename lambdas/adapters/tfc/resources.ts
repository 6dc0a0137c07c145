import * as z from 'zod';

/**
 * zod schemas for the JSON:API documents the client reads, limited to the fields it uses. Shapes follow
 * the samples in hashicorp/terraform-docs-common `website/docs/cloud-docs/api-docs/`.
 */

const Relationship = z.object({ data: z.object({ id: z.string() }).nullable() });

const WorkspaceResource = z.object({
  id: z.string(),
  attributes: z.object({
    name: z.string(),
    'auto-apply': z.boolean(),
    'resource-count': z.number().nullish(),
  }),
  relationships: z.object({ 'current-configuration-version': Relationship.optional() }).optional(),
});
export const WorkspaceDocument = z.object({ data: WorkspaceResource });
export type WorkspaceResource = z.infer<typeof WorkspaceResource>;

/** `GET /workspaces/:id/tag-bindings` (workspaces.mdx "List workspace tag bindings"). */
export const TagBindingsDocument = z.object({
  data: z.array(z.object({ attributes: z.object({ key: z.string(), value: z.string().nullish() }) })),
});

const VariableResource = z.object({
  id: z.string(),
  attributes: z.object({
    key: z.string(),
    // Sensitive variables are write-only: TFC returns their value as null.
    value: z.string().nullable(),
    description: z.string().nullish(),
    category: z.string(),
    sensitive: z.boolean(),
    hcl: z.boolean(),
  }),
});
export const VariablesDocument = z.object({
  data: z.array(VariableResource),
  meta: z.object({ pagination: z.object({ 'next-page': z.number().nullish() }) }).optional(),
});
export type VariableResource = z.infer<typeof VariableResource>;

const ConfigurationVersionResource = z.object({
  id: z.string(),
  attributes: z.object({ status: z.string(), 'error-message': z.string().nullish() }),
});
export const ConfigurationVersionDocument = z.object({ data: ConfigurationVersionResource });

/** The `upload-url` is only present in the create response (configuration-versions.mdx). */
export const CreatedConfigurationVersionDocument = z.object({
  data: ConfigurationVersionResource.extend({
    attributes: ConfigurationVersionResource.shape.attributes.extend({ 'upload-url': z.url() }),
  }),
});

const RunResource = z.object({
  id: z.string(),
  attributes: z.object({
    status: z.string(),
    message: z.string().nullish(),
    'is-destroy': z.boolean(),
    'has-changes': z.boolean().nullish(),
    'created-at': z.string().nullish(),
    'status-timestamps': z.record(z.string(), z.string()).optional(),
    // run.mdx "Get run details": what a person (or this token) may do with the run now.
    actions: z
      .object({ 'is-confirmable': z.boolean().optional(), 'is-discardable': z.boolean().optional() })
      .optional(),
  }),
});
export const RunDocument = z.object({ data: RunResource });
export const RunsDocument = z.object({ data: z.array(RunResource) });
export type RunResource = z.infer<typeof RunResource>;

export const OutputsDocument = z.object({
  data: z.array(
    z.object({ attributes: z.object({ name: z.string(), sensitive: z.boolean(), value: z.unknown() }) }),
  ),
  meta: z.object({ pagination: z.object({ 'next-page': z.number().nullish() }) }).optional(),
});
