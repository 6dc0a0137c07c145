import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { IConstruct } from 'constructs';
import {
  COORDINATION_TABLE_ACTIONS,
  HISTORY_TABLE_ACTIONS,
  IDEMPOTENCY_TABLE_ACTIONS,
  ROLLOUT_TABLE_ACTIONS,
  TENANT_TABLE_ACTIONS,
} from '../../lambdas/core/table-access';
import { list, logicalId, resourcesOfType, roleStatements, synthStack } from './support';

/**
 * Least privilege derived from the code: for each function, the DynamoDB actions its code can reach (the
 * adapter methods its import graph calls, each expanded to the commands that method sends, per table)
 * bound what its role may be granted, and the role gets exactly the declared list. A TransactWriteItems
 * call is authorised item by item (UpdateItem, DeleteItem, PutItem on each item's table), so its items
 * count, not the command.
 */
const ROOT = resolve(__dirname, '../..');
const POWERTOOLS_PERSISTENCE = require.resolve('@aws-lambda-powertools/idempotency/dynamodb');

type TableName = 'tenants' | 'history' | 'coordination' | 'rollouts';
const TABLES: readonly TableName[] = ['tenants', 'history', 'coordination', 'rollouts'];

/** A DynamoDB adapter: its file, its class, how its code names each table, how callers name it. */
interface Adapter {
  file: string;
  className: string;
  tables: Record<string, TableName>;
  /** Receivers through which the rest of the code calls it, e.g. `this.deps.repository.get(`. */
  receivers: RegExp;
  /** The class it extends, whose methods call the adapter's own (the core's planned tenant writes). */
  base?: { file: string; className: string };
}

const ADAPTERS: Adapter[] = [
  {
    file: join(ROOT, 'lambdas/adapters/dynamodb/tenant-repository.ts'),
    className: 'DynamoDbTenantRepository',
    tables: { 'this.tableName': 'tenants', 'this.history.tableName': 'history', tableName: 'history' },
    receivers: /\b(?:repository|counter)\.(\w+)\(/g,
    base: { file: join(ROOT, 'lambdas/core/tenant-store.ts'), className: 'PlannedTenantStore' },
  },
  {
    file: join(ROOT, 'lambdas/adapters/dynamodb/admission-queue.ts'),
    className: 'DynamoDbAdmissionQueue',
    tables: { 'this.tableName': 'coordination' },
    receivers: /\bqueue\.(\w+)\(/g,
  },
  {
    file: join(ROOT, 'lambdas/adapters/dynamodb/rollout-store.ts'),
    className: 'DynamoDbRolloutStore',
    tables: { 'this.tableName': 'rollouts' },
    receivers: /\bstore\.(\w+)\(/g,
  },
  {
    file: join(ROOT, 'lambdas/adapters/dynamodb/rate-window-store.ts'),
    className: 'DynamoDbRateWindowStore',
    tables: { 'this.tableName': 'coordination' },
    receivers: /\bstore\.(\w+)\(/g,
  },
];

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
};
/** The items of a TransactWriteItems call and the action each one needs. */
const TRANSACT_ITEM_ACTIONS: Record<string, string> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
};

/** `<table>|<action>` */
type TableAction = string;

interface Method {
  sends: TableAction[];
  calls: string[];
}

/**
 * Each method of the adapter's class, those it inherits included: what it sends, to which table, and the
 * methods of its own it calls.
 */
function adapterMethods(adapter: Adapter): Map<string, Method> {
  const inherited = adapter.base
    ? classMethods({ ...adapter, ...adapter.base, base: undefined })
    : new Map<string, Method>();
  return new Map([...inherited, ...classMethods(adapter)]);
}

/** The methods one class of an adapter declares. */
function classMethods(adapter: Adapter): Map<string, Method> {
  const source = readFileSync(adapter.file, 'utf8');
  const start = new RegExp(`export (?:abstract )?class ${adapter.className}\\b`).exec(source);
  if (!start) throw new Error(`no class ${adapter.className} in ${adapter.file}`);
  const body = source.slice(start.index);
  const methods = new Map<string, Method>();
  const heads = [...body.matchAll(/^ {2}(?:public |protected |private )?(?:async )?(\w+)(?:<[^>(]*>)?\(/gm)];
  heads.forEach((head, i) => {
    const text = body.slice(head.index, heads[i + 1]?.index ?? body.length);
    const sends: TableAction[] = [];
    const pattern =
      /(?:new (\w+Command)\(\{|\b(Put|Update|Delete|ConditionCheck): \{)\s*TableName: ([\w.]+)/g;
    for (const m of text.matchAll(pattern)) {
      const action = m[1] ? COMMAND_ACTIONS[m[1]] : TRANSACT_ITEM_ACTIONS[m[2] ?? ''];
      const table = adapter.tables[m[3] ?? ''];
      if (!action || !table) throw new Error(`${head[1]}: unknown command or table in '${m[0]}'`);
      sends.push(`${table}|${action}`);
    }
    // Every command sent must have been recognised above (a TransactWriteCommand by its items).
    const commands = [...text.matchAll(/new (\w+Command)\(/g)].filter((m) => m[1] !== 'TransactWriteCommand');
    const recognised = [...text.matchAll(/new (\w+Command)\(\{\s*TableName:/g)];
    if (commands.length !== recognised.length) {
      throw new Error(`${adapter.className}.${head[1]}: a command whose table this test cannot tell`);
    }
    methods.set(head[1] ?? '', { sends, calls: [...text.matchAll(/this\.(\w+)\(/g)].map((m) => m[1] ?? '') });
  });
  return methods;
}

/** What one method can send, through the methods of its own it calls. */
function sendsOf(name: string, methods: Map<string, Method>, seen = new Set<string>()): Set<TableAction> {
  const out = new Set<TableAction>();
  const method = methods.get(name);
  if (!method || seen.has(name)) return out;
  seen.add(name);
  for (const s of method.sends) out.add(s);
  for (const call of method.calls) for (const s of sendsOf(call, methods, seen)) out.add(s);
  return out;
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

/** The actions, per table, a function's code can reach. */
function reachable(entry: string): Record<TableName, string[]> {
  const found = new Set<TableAction>();
  const graph = importGraph(entry);
  for (const adapter of ADAPTERS) {
    if (!graph.has(adapter.file)) continue;
    const methods = adapterMethods(adapter);
    for (const file of graph) {
      if (ADAPTERS.some((a) => a.file === file)) continue;
      for (const m of readFileSync(file, 'utf8').matchAll(adapter.receivers)) {
        for (const s of sendsOf(m[1] ?? '', methods)) found.add(s);
      }
    }
  }
  const of = (table: TableName) =>
    [...found]
      .filter((s) => s.startsWith(`${table}|`))
      .map((s) => s.slice(table.length + 1))
      .sort();
  return {
    tenants: of('tenants'),
    history: of('history'),
    coordination: of('coordination'),
    rollouts: of('rollouts'),
  };
}

const { stack, template } = synthStack({
  tfc: { organization: 'acme', awsRunRoleArn: 'arn:aws:iam::123456789012:role/tfc' },
});
const cp = stack.controlPlane;
const functions = cp.functions;

const DECLARED: Record<TableName, Record<string, readonly string[]>> = {
  tenants: TENANT_TABLE_ACTIONS,
  history: HISTORY_TABLE_ACTIONS,
  coordination: COORDINATION_TABLE_ACTIONS,
  rollouts: ROLLOUT_TABLE_ACTIONS,
};
const TABLE_OF: Record<TableName, IConstruct> = {
  tenants: cp.tables.tenants,
  history: cp.tables.history,
  coordination: cp.tables.coordination,
  rollouts: cp.tables.rollouts,
};

/** DynamoDB actions a role is granted on one table (or its indexes). */
function grantedOn(role: IConstruct, table: IConstruct) {
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
  it.each(TABLES)('declares the %s table actions of every function that is given the table', (table) => {
    const withTable = Object.entries(functions)
      .filter(([, fn]) => grantedOn(fn.role, TABLE_OF[table]).length > 0)
      .map(([name]) => name)
      .sort();
    expect(withTable).toEqual(Object.keys(DECLARED[table]).sort());
  });

  it('the repository sends no BatchWriteItem, a Scan only from list() and a PutItem only to the history', () => {
    const [repository] = ADAPTERS;
    if (!repository) throw new Error('no repository adapter');
    const methods = adapterMethods(repository);
    const sending = (action: string) =>
      [...methods.keys()].filter((name) => sendsOf(name, methods).has(action));
    expect(methods.size).toBeGreaterThanOrEqual(10);
    expect(sending('tenants|dynamodb:PutItem')).toEqual([]);
    expect(sending('tenants|dynamodb:BatchWriteItem')).toEqual([]);
    expect(sending('tenants|dynamodb:Scan')).toEqual(['list']);
    expect(sending('history|dynamodb:UpdateItem')).toEqual([]);
    expect(sending('history|dynamodb:DeleteItem')).toEqual([]);
  });

  it.each(Object.keys(functions))(
    '%s: granted exactly its declared actions, each one its code can reach',
    (name) => {
      const fn = functions[name];
      if (!fn) throw new Error(`no function ${name}`);
      const code = reachable(fn.entry);
      for (const table of TABLES) {
        const declared = [...(DECLARED[table][name] ?? [])].sort();
        const granted = grantedOn(fn.role, TABLE_OF[table]);
        expect({ name, table, granted }).toEqual({ name, table, granted: declared });
        const beyond = declared.filter((a) => !code[table].includes(a));
        expect({ name, table, beyondTheCode: beyond }).toEqual({ name, table, beyondTheCode: [] });
      }
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
  const kmsOn = (role: IConstruct, keyId: string) =>
    roleStatements(template, role)
      .filter((s) => JSON.stringify(list(s.Resource)).includes(`"${keyId}"`))
      .flatMap((s) => list(s.Action))
      .filter((a) => a.startsWith('kms:'));

  it('is a key of its own, not the tables’ and topics’ key', () => {
    const secret = resourcesOfType(template, 'AWS::SecretsManager::Secret')[logicalId(cp.tfcToken.secret)];
    expect(JSON.stringify(secret?.Properties.KmsKeyId)).not.toContain(logicalId(cp.encryptionKey));
    expect(JSON.stringify(secret?.Properties.KmsKeyId)).toContain(logicalId(cp.tfcTokenKey));
  });

  it('only the functions that read the token may decrypt with it', () => {
    const tokenKey = logicalId(cp.tfcTokenKey);
    const readers = Object.entries(functions)
      .filter(([, fn]) => kmsOn(fn.role, tokenKey).length > 0)
      .map(([name]) => name)
      .sort();
    expect(readers).toEqual(['awaitRun', 'check', 'finalize', 'trigger']);
    for (const name of readers) expect(kmsOn(functions[name]!.role, tokenKey)).toEqual(['kms:Decrypt']);
  });
});
