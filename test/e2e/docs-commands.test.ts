import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http, startLocal, type LocalProcess } from '../support/local-process';

const ROOT = join(__dirname, '..', '..');
const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** A shell command from a fenced `sh`/`bash`/`shell`/`console` block, continuation lines joined. */
interface DocCommand {
  file: string;
  line: number;
  text: string;
}

/** Commands this suite runs: tenantctl (also through npx), curl and npm. */
const RUNNABLE = /^(?:[A-Z_]+=\S*\s+)*(?:npx\s+tenantctl|tenantctl|curl|npm|npx)\b/;

/**
 * Commands that cannot run without an AWS account (or that this suite must not run), each with why. The
 * first pattern that matches decides. Anything else that RUNNABLE matches is run and must exit 0.
 */
const SKIP: ReadonlyArray<{ pattern: RegExp; reason: string }> = [
  { pattern: /\$API|\$\{sign\[@\]\}|execute-api|amazonaws\.com/, reason: 'calls the deployed API (AWS)' },
  { pattern: /\bnpx cdk (?:bootstrap|deploy|diff|destroy)\b/, reason: 'deploys to an AWS account' },
  { pattern: /\bnpx cdk synth\b/, reason: 'the same synth runs as `npm run synth` in `npm test`' },
  {
    pattern: /^npm ci\b/,
    reason: 'this suite runs on the installed tree; reinstalling would replace it mid-run',
  },
  { pattern: /^npm test\b/, reason: 'this suite is part of `npm test`' },
  {
    pattern: /^npm (?:start|run start)\b/,
    reason: 'this suite starts the control plane itself, as `npm start` does',
  },
  { pattern: /^npm run bench\b/, reason: 'minutes long; not part of `npm test` by design' },
];

/** Removes a trailing `# comment` that is not inside quotes. */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1] ?? ''))) {
      return line.slice(0, i).trimEnd();
    }
  }
  return line.trimEnd();
}

/** Every command line of every shell block, in document order. */
function extractCommands(file: string, markdown: string): DocCommand[] {
  const commands: DocCommand[] = [];
  const lines = markdown.split('\n');
  let fence: { marker: string; shell: boolean } | undefined;
  let pending: DocCommand | undefined;
  lines.forEach((raw, index) => {
    const open = /^\s*(`{3,}|~{3,})\s*([\w-]*)/.exec(raw);
    if (!fence) {
      if (open?.[1])
        fence = { marker: open[1], shell: /^(?:sh|bash|shell|console|zsh)$/.test(open[2] ?? '') };
      return;
    }
    if (raw.trim().startsWith(fence.marker) && raw.trim().replace(/[`~]/g, '') === '') {
      fence = undefined;
      pending = undefined;
      return;
    }
    if (!fence.shell) return;
    const line = stripComment(raw.replace(/^\s*\$\s+/, '').trim());
    if (pending) {
      pending.text += ` ${line.replace(/\\$/, '').trim()}`;
      if (!line.endsWith('\\')) pending = undefined;
      return;
    }
    if (!line) return;
    const command = { file, line: index + 1, text: line.replace(/\\$/, '').trim() };
    commands.push(command);
    if (line.endsWith('\\')) pending = command;
  });
  return commands;
}

function skipReason(text: string): string | undefined {
  return SKIP.find((s) => s.pattern.test(text))?.reason;
}

const ALL = DOCS.flatMap((file) => extractCommands(file, readFileSync(join(ROOT, file), 'utf8')));
const RUN = ALL.filter((c) => RUNNABLE.test(c.text) && !skipReason(c.text));

let dataDir: string;
let binDir: string;
let plane: LocalProcess;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'tcp-e2e-docs-'));
  // `tenantctl` as an operator has it after `npm link` or `npm install -g`.
  binDir = await mkdtemp(join(tmpdir(), 'tcp-e2e-docs-bin-'));
  await writeFile(
    join(binDir, 'tenantctl'),
    `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'bin', 'tenantctl.js')}" "$@"\n`,
  );
  await chmod(join(binDir, 'tenantctl'), 0o755);
  plane = await startLocal({ LOCAL_DATA_DIR: dataDir, LOCAL_WAIT_SECONDS: '0.2' });
});
afterAll(async () => {
  await plane?.interrupt();
  await rm(dataDir, { recursive: true, force: true });
  await rm(binDir, { recursive: true, force: true });
});

/** Waits until no tenant is mid-flow: a person reading the docs runs the next command after the last one. */
async function settle(): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const page = await http(plane.url, 'GET', '/tenants?limit=100');
    const items = (page.body.items ?? []) as Array<{ status: string }>;
    if (!items.some((t) => ['creating', 'updating', 'deleting'].includes(t.status))) return;
    if (Date.now() > deadline) throw new Error('tenants still in progress after 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}

function run(text: string): Promise<{ code: number; output: string }> {
  const { host } = new URL(plane.url);
  const command = text.replace(/\b(?:localhost|127\.0\.0\.1):4000\b/g, host);
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', command],
      {
        cwd: ROOT,
        timeout: 120_000,
        env: {
          ...process.env,
          TENANTCTL_ENDPOINT: plane.url,
          PATH: `${binDir}:${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
        },
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

describe('commands in README.md and docs/*.md', () => {
  it('finds the documented commands (the extractor still works)', () => {
    expect(RUN.map((c) => c.text)).toEqual(
      expect.arrayContaining(['npx tenantctl create demo --wait', 'npx tenantctl list']),
    );
  });

  it('extracts continued lines, drops comments and ignores non-shell blocks', () => {
    const md = [
      '```sh',
      'curl -s -X POST x \\',
      '  -d \'{"a":"#1"}\'   # note',
      '```',
      '```json',
      'npm nope',
      '```',
    ].join('\n');

    expect(extractCommands('x.md', md)).toEqual([
      { file: 'x.md', line: 2, text: `curl -s -X POST x -d '{"a":"#1"}'` },
    ]);
  });

  it('every skipped command says why', () => {
    const skipped = ALL.filter((c) => RUNNABLE.test(c.text) && skipReason(c.text));
    for (const c of skipped) expect(skipReason(c.text)).toMatch(/\w/);
  });

  it('every runnable command works as written against the local control plane', async () => {
    const failures: string[] = [];
    for (const command of RUN) {
      await settle();
      const result = await run(command.text);
      // curl exits 0 on an HTTP error: an error body is a failure too.
      if (result.code !== 0 || (command.text.startsWith('curl') && result.output.includes('"error":{'))) {
        failures.push(
          `${command.file}:${command.line}: \`${command.text}\` exited ${result.code}\n${result.output.slice(-800)}`,
        );
      }
    }
    expect(failures).toEqual([]);
  }, 600_000);
});
