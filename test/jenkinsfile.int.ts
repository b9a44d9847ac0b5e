import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The Jenkinsfile, checked as far as possible without a Jenkins (scripts/check-jenkinsfile.sh): our structural checker on
 * the Groovy AST (Groovy 4.0.33 from Maven Central) and npm-groovy-lint (CodeNarc). The real Jenkinsfile passes both;
 * each fixture under test/fixtures/jenkinsfile is a copy of it broken in one place, and the checker names the place.
 */
const ROOT = resolve(__dirname, '..');
const FIXTURES = 'test/fixtures/jenkinsfile';
/** Cold, the script fetches Groovy through Maven (~10 s); CodeNarc alone takes 10–20 s on two busy cores. */
const TIMEOUT_MS = 240_000;

/** Where the checker must point for each fixture, and what it must say there. */
const EXPECTED: Record<string, { line: number; column?: number; message: RegExp }> = {
  'missing-agent': { line: 5, message: /^pipeline has no 'agent' section$/ },
  'unknown-section': { line: 9, message: /^unknown section 'option' in pipeline/ },
  'stage-without-steps': {
    line: 31,
    message: /^stage 'Install' has none of steps, stages, parallel, matrix$/,
  },
  'empty-steps': { line: 96, message: /^stage 'Promote' has no steps$/ },
  'sh-missing-script': { line: 34, message: /^bash scripts\/nope\.sh: no such file in the repo$/ },
  'npm-run-missing': { line: 39, message: /^npm run type-check: package\.json has no script 'type-check'$/ },
  'literal-secret': {
    line: 29,
    message: /^environment REGISTRY_PASSWORD looks like a secret but is a literal/,
  },
  'syntax-error': { line: 48, column: 20, message: /^syntax error: Unexpected character/ },
  'unknown-post-condition': {
    line: 104,
    message: /^unknown post condition 'unsucessful' in stage 'Release'/,
  },
  'duplicate-stage': { line: 80, message: /^stage 'Deploy stable' is named twice/ },
  'disallowed-command': { line: 48, message: /^sh runs 'curl', which is not an allowed command/ },
  'inline-bash': { line: 97, message: /^bash runs inline code/ },
  'interpolated-command': { line: 97, message: /^bash script path built from a Groovy \$\{…\}/ },
  'docker-login-password': { line: 57, message: /^docker login with a password on the command line/ },
  'unknown-binding': { line: 54, message: /^withCredentials binding 'dockerCert' is not one of/ },
};

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const checkJenkinsfile = (args: string[]): Promise<Run> =>
  new Promise((done) => {
    const child = spawn('bash', ['scripts/check-jenkinsfile.sh', ...args], {
      cwd: ROOT,
      env: { ...process.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });

interface Finding {
  file: string;
  line: number;
  column?: number;
  message: string;
}

/** The checker's `file:line[:column]: message` lines. */
const findings = (stderr: string): Finding[] =>
  [...stderr.matchAll(/^([^\s:]+):(\d+)(?::(\d+))?: (.+)$/gm)].map(
    ([, file = '', line, column, message = '']) => ({
      file,
      line: Number(line),
      ...(column === undefined ? {} : { column: Number(column) }),
      message,
    }),
  );

/** Runs scripts/image.sh with only the given settings (no registry credentials or builder of the runner's leak in). */
const image = (args: string[], env: Record<string, string>) =>
  spawnSync('bash', ['scripts/image.sh', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    encoding: 'utf8',
  });

/** A JRE download by npm-groovy-lint's java-caller announces itself with these lines. */
const JRE_DOWNLOAD = /Installing Java|Java .* is required/;

const javaMissing = spawnSync('java', ['-version']).error !== undefined;
if (javaMissing && process.env.CI !== 'true')
  console.info('Jenkinsfile checks: skipped: no java on PATH (CI installs openjdk-17-jre-headless)');
// In CI the script installs Java from the OS packages, and fails when it cannot.
const describeChecks = javaMissing && process.env.CI !== 'true' ? describe.skip : describe;

describe('the Jenkinsfile has the stages the issue asks for', () => {
  const jenkinsfile = readFileSync(join(ROOT, 'Jenkinsfile'), 'utf8');

  it('installs, lints, runs the README test command, builds the image and releases through a gated canary', () => {
    const stages = [...jenkinsfile.matchAll(/stage\('([^']+)'\)/g)].map(([, name]) => name);
    expect(stages).toEqual([
      'Install',
      'Lint and typecheck',
      'Unit and integration tests',
      'Image',
      'Release',
      'Deploy stable',
      'Canary',
      'Promotion gate',
      'Promote',
    ]);
    expect(jenkinsfile).toContain("sh 'npm test'");
    expect(jenkinsfile).toContain("sh 'bash scripts/image.sh build-push'");
    for (const step of ['stable', 'canary "$CANARY_WEIGHT"', 'gate "$GATE_MINUTES"', 'promote', 'rollback'])
      expect(jenkinsfile).toContain(`sh 'bash scripts/deploy.sh ${step}'`);
    expect(jenkinsfile).toMatch(/unsuccessful \{\s+sh 'bash scripts\/deploy\.sh rollback'/);
  });
});

describe('scripts/image.sh (the Image stage)', () => {
  const REPOSITORY = 'registry.example.com/couponkill/couponkill';

  it('tags the image with the commit, or with IMAGE_TAG', () => {
    const commit = spawnSync('git', ['rev-parse', '--short=12', 'HEAD'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).stdout.trim();
    const byCommit = image(['ref'], { IMAGE_REPOSITORY: REPOSITORY });
    // A working tree with uncommitted changes to tracked files is refused: its tag would name another content.
    if (byCommit.status === 0) expect(byCommit.stdout).toBe(`${REPOSITORY}:${commit}\n`);
    else expect(byCommit.stderr).toContain('tracked files differ from the commit');
    expect(image(['ref'], { IMAGE_REPOSITORY: REPOSITORY, IMAGE_TAG: 'rc-1' }).stdout).toBe(
      `${REPOSITORY}:rc-1\n`,
    );
  });

  it('refuses bad settings before it runs the builder, naming the setting', () => {
    const cases: [string[], Record<string, string>, string][] = [
      [['ref'], {}, 'IMAGE_REPOSITORY is not set'],
      [['ref'], { IMAGE_REPOSITORY: 'Registry.example.com/x:1' }, 'is not an image repository'],
      [['ref'], { IMAGE_REPOSITORY: REPOSITORY, IMAGE_TAG: 'a b' }, 'IMAGE_TAG=a b is not an image tag'],
      [['build-push'], { IMAGE_REPOSITORY: REPOSITORY, IMAGE_TAG: 'x', REGISTRY_USER: 'ci' }, 'go together'],
      [
        ['build-push'],
        { IMAGE_REPOSITORY: REPOSITORY, IMAGE_TAG: 'x', COUPONKILL_IMAGE_BUILDER: 'no-such-builder' },
        'no-such-builder not found',
      ],
      [['push'], { IMAGE_REPOSITORY: REPOSITORY }, 'usage: scripts/image.sh build-push | ref | logout'],
    ];
    for (const [args, env, message] of cases) {
      const run = image(args, env);
      expect({ args, env, status: run.status, refused: run.stderr.includes(message) }).toEqual({
        args,
        env,
        status: 1,
        refused: true,
      });
    }
  });
});

describeChecks('scripts/check-jenkinsfile.sh', () => {
  it(
    'passes the repo’s Jenkinsfile: the checker, then npm-groovy-lint with the java on PATH',
    async () => {
      const run = await checkJenkinsfile([]);
      if (run.code !== 0) throw new Error(`exit ${String(run.code)}:\n${run.stdout}\n${run.stderr}`);
      expect(findings(run.stderr)).toEqual([]);
      expect(run.stdout).toMatch(/^Jenkinsfile: OK \(9 stages, 10 sh steps checked\)$/m);
      expect(run.stdout).not.toMatch(JRE_DOWNLOAD);
    },
    TIMEOUT_MS,
  );

  it(
    'reports every broken copy at the line of its break, all files in one run of the checker',
    async () => {
      const fixtures = readdirSync(join(ROOT, FIXTURES))
        .filter((name) => name.endsWith('.Jenkinsfile'))
        .map((name) => name.replace(/\.Jenkinsfile$/, ''))
        .sort();
      expect(fixtures).toEqual(Object.keys(EXPECTED).sort());

      const run = await checkJenkinsfile([
        '--checker-only',
        'Jenkinsfile',
        ...fixtures.map((name) => `${FIXTURES}/${name}.Jenkinsfile`),
      ]);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('Jenkinsfile: OK (9 stages, 10 sh steps checked)\n');
      expect(run.stderr).toContain(
        `jenkinsfile-check: ${fixtures.length} of ${fixtures.length + 1} file(s) failed`,
      );
      const found = findings(run.stderr);
      for (const [name, { line, column, message }] of Object.entries(EXPECTED)) {
        const here = found.filter((f) => f.file === `${FIXTURES}/${name}.Jenkinsfile`);
        expect({
          name,
          match: here.some((f) => f.line === line && f.column === column && message.test(f.message)),
        }).toEqual({ name, match: true });
      }
    },
    TIMEOUT_MS,
  );

  it(
    'fails a Jenkinsfile that does not parse in both tools',
    async () => {
      const fixture = `${FIXTURES}/syntax-error.Jenkinsfile`;
      const run = await checkJenkinsfile([fixture]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`${fixture}:48:20: syntax error: Unexpected character`);
      // npm-groovy-lint's own report: CodeNarc could not parse the file
      expect(run.stdout).toMatch(/syntax-error\.Jenkinsfile\s+48\s+error\s+Unexpected character/);
      expect(run.stdout).toContain('NglParseError');
      expect(run.stdout).not.toMatch(JRE_DOWNLOAD);
    },
    TIMEOUT_MS,
  );
});
