import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  IDEMPOTENCY_TABLE_ACTIONS,
  TENANT_TABLE_ACTIONS,
} from '../../lambdas/adapters/dynamodb/table-access';
import { list, logicalId, resourcesOfType, roleStatements, synthStack } from './support';

/**
 * Least privilege derived from the code: for each function, the DynamoDB actions its code can reach
 * (the repository methods its import graph calls, each expanded to the commands that method sends) bound
 * what its role may be granted, and the role gets exactly the declared list.
 */
const ROOT = resolve(__dirname, '../..');
const REPOSITORY = join(ROOT, 'lambdas/adapters/dynamodb/tenant-repository.ts');
const POWERTOOLS_PERSISTENCE = require.resolve('@aws-lambda-powertools/idempotency/dynamodb');

const COMMAND_ACTIONS: Record<string, string> = {
  GetCommand: 'dynamodb:GetItem',
  GetItemCommand: 'dynamodb:GetItem',
  PutCommand: 'dynamodb:PutItem',
  PutItemCommand: 'dynamodb:PutItem',
  UpdateCommand: 'dynamodb:UpdateItem',
  UpdateItemCommand: 'dynamodb:UpdateItem',
  DeleteCommand: 'dynamodb:DeleteItem',
  DeleteItemCommand: 'dynamodb:DeleteItem',
  QueryCommand: 'dynamodb:Query',
  ScanCommand: 'dynamodb:Scan',
  BatchWriteCommand: 'dynamodb:BatchWriteItem',
  BatchGetCommand: 'dynamodb:BatchGetItem',
  TransactWriteCommand: 'dynamodb:TransactWriteItems',
};

/** Each method of the repository class: the commands it sends and the methods of its own it calls. */
function repositoryMethods(): Map<string, { commands: string[]; calls: string[] }> {
  const source = readFileSync(REPOSITORY, 'utf8');
  const body = source.slice(source.indexOf('export class DynamoDbTenantRepository'));
  const methods = new Map<string, { commands: string[]; calls: string[] }>();
  const heads = [...body.matchAll(/^ {2}(?:public |private )?(?:async )?(\w+)\(/gm)];
  heads.forEach((head, i) => {
    const text = body.slice(head.index, heads[i + 1]?.index ?? body.length);
    methods.set(head[1] ?? '', {
      commands: [...text.matchAll(/new (\w+Command)\(/g)].map((m) => m[1] ?? ''),
      calls: [...text.matchAll(/this\.(\w+)\(/g)].map((m) => m[1] ?? ''),
    });
  });
  return methods;
}

/** The DynamoDB actions one repository method can send, through the methods it calls. */
function actionsOfMethod(name: string, methods = repositoryMethods(), seen = new Set<string>()): Set<string> {
  const actions = new Set<string>();
  const method = methods.get(name);
  if (!method || seen.has(name)) return actions;
  seen.add(name);
  for (const command of method.commands) {
    const action = COMMAND_ACTIONS[command];
    if (!action) throw new Error(`${name}: no IAM action known for ${command}`);
    actions.add(action);
  }
  for (const call of method.calls) for (const a of actionsOfMethod(call, methods, seen)) actions.add(a);
  return actions;
}

/** Every project source file the entry imports, directly or not. */
function importGraph(entry: string, files = new Set<string>()): Set<string> {
  if (files.has(entry)) return files;
  files.add(entry);
  const source = readFileSync(entry, 'utf8');
  for (const m of source.matchAll(/(?:from|import)\s+'(\.{1,2}\/[^']+)'/g)) {
    const base = resolve(dirname(entry), m[1] ?? '');
    const file = [`${base}.ts`, join(base, 'index.ts')].find((f) => existsSync(f));
    if (file) importGraph(file, files);
  }
  return files;
}

/** The tenant table actions a function's code can reach. */
function reachableTenantActions(entry: string): string[] {
  const methods = repositoryMethods();
  const actions = new Set<string>();
  for (const file of importGraph(entry)) {
    if (file === REPOSITORY) continue;
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(/repository\.(\w+)\(/g)) {
      for (const a of actionsOfMethod(m[1] ?? '', methods)) actions.add(a);
    }
  }
  return [...actions].sort();
}

const { stack, template } = synthStack({
  tfc: { organization: 'acme', awsRunRoleArn: 'arn:aws:iam::123456789012:role/tfc' },
});
const cp = stack.controlPlane;
const functions = cp.functions;

/** DynamoDB actions a role is granted on one table (or its indexes). */
function grantedOn(role: Parameters<typeof roleStatements>[1], table: Parameters<typeof logicalId>[0]) {
  const id = logicalId(table);
  return [
    ...new Set(
      roleStatements(template, role)
        .filter((s) => JSON.stringify(list(s.Resource)).includes(`"${id}"`))
        .flatMap((s) => list(s.Action))
        .filter((a) => a.startsWith('dynamodb:')),
    ),
  ].sort();
}

describe('DynamoDB grants derived from the code', () => {
  it('declares the tenant table actions of every function that is given the table', () => {
    const withTable = Object.entries(functions)
      .filter(([, fn]) => grantedOn(fn.role, cp.tables.tenants).length > 0)
      .map(([name]) => name)
      .sort();
    expect(withTable).toEqual(Object.keys(TENANT_TABLE_ACTIONS).sort());
  });

  it('the repository sends no PutItem or BatchWriteItem, and a Scan only from list()', () => {
    const methods = repositoryMethods();
    const sending = (action: string) =>
      [...methods.keys()].filter((name) => actionsOfMethod(name, methods).has(action));
    expect(methods.size).toBeGreaterThanOrEqual(10);
    expect(sending('dynamodb:PutItem')).toEqual([]);
    expect(sending('dynamodb:BatchWriteItem')).toEqual([]);
    expect(sending('dynamodb:Scan')).toEqual(['list']);
  });

  it.each(Object.entries(TENANT_TABLE_ACTIONS))(
    '%s: granted exactly its declared actions, each one its code can reach',
    (name, declared) => {
      const fn = functions[name];
      if (!fn) throw new Error(`no function ${name}`);
      expect(grantedOn(fn.role, cp.tables.tenants)).toEqual([...declared].sort());
      const reachable = reachableTenantActions(fn.entry);
      for (const action of declared)
        expect({ action, reachable: reachable.includes(action) }).toEqual({ action, reachable: true });
    },
  );

  it('the idempotency table: exactly the commands Powertools sends, for the write routes only', () => {
    const persistence = readFileSync(POWERTOOLS_PERSISTENCE, 'utf8');
    const sent = [
      ...new Set(
        [...persistence.matchAll(/new (?:[\w$]+\.)?(\w+Command)\(/g)].map((m) => COMMAND_ACTIONS[m[1] ?? '']),
      ),
    ]
      .filter((a): a is string => a !== undefined)
      .sort();
    expect([...IDEMPOTENCY_TABLE_ACTIONS].sort()).toEqual(sent);
    for (const [name, fn] of Object.entries(functions)) {
      const granted = grantedOn(fn.role, cp.tables.idempotency);
      const writer = ['createTenant', 'updateTenant', 'deleteTenant'].includes(name);
      expect({ name, granted }).toEqual({ name, granted: writer ? sent : [] });
    }
  });
});

describe('the TFC token key', () => {
  const kmsOn = (role: Parameters<typeof roleStatements>[1], keyId: string) =>
    roleStatements(template, role)
      .filter((s) => JSON.stringify(list(s.Resource)).includes(`"${keyId}"`))
      .flatMap((s) => list(s.Action))
      .filter((a) => a.startsWith('kms:'));

  it('is a key of its own, not the tables’ and topics’ key', () => {
    const secret = Object.values(resourcesOfType(template, 'AWS::SecretsManager::Secret'))[0];
    expect(JSON.stringify(secret?.Properties.KmsKeyId)).not.toContain(logicalId(cp.encryptionKey));
    expect(JSON.stringify(secret?.Properties.KmsKeyId)).toContain(logicalId(cp.tfcTokenKey));
  });

  it('only the functions that read the token may decrypt with it', () => {
    const tokenKey = logicalId(cp.tfcTokenKey);
    const readers = Object.entries(functions)
      .filter(([, fn]) => kmsOn(fn.role, tokenKey).length > 0)
      .map(([name]) => name)
      .sort();
    expect(readers).toEqual(['check', 'finalize', 'trigger']);
    for (const name of readers) expect(kmsOn(functions[name]!.role, tokenKey)).toEqual(['kms:Decrypt']);
  });
});
