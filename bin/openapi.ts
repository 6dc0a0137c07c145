import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOpenApiDocument, OPENAPI_FILE } from '../lambdas/core/openapi';

/** `npm run openapi`: regenerates the committed OpenAPI document from the route table and its schemas. */
const path = join(__dirname, '..', OPENAPI_FILE);
writeFileSync(path, `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`);
process.stdout.write(`wrote ${OPENAPI_FILE}\n`);
