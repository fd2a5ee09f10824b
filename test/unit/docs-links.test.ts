import fs from 'node:fs';
import path from 'node:path';

/**
 * The README and docs/ as a newcomer reads them: every relative link (and
 * its #anchor) leads somewhere in the repository, every repository path they
 * name in code exists, they cite nothing outside the repository, and the
 * README fits a newcomer's first read and lists every command.
 */

const ROOT = path.resolve(__dirname, '../..');
const README_MAX_LINES = 260;

const DOCS = [
  'README.md',
  ...fs
    .readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** The text outside fenced code blocks, lines kept in place (so line numbers still match). */
function prose(text: string): string {
  let fenced = false;
  return text
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) {
        fenced = !fenced;
        return '';
      }
      return fenced ? '' : line;
    })
    .join('\n');
}

/** Inline code spans of prose, e.g. `src/core/api/route.ts`. */
function codeSpans(text: string): string[] {
  return [...prose(text).matchAll(/`([^`\n]+)`/g)].map((m) => m[1] as string);
}

/** The targets of Markdown links `[text](target)` in prose, code spans left out. */
function linkTargets(text: string): string[] {
  const withoutCode = prose(text).replace(/`[^`\n]*`/g, '');
  return [...withoutCode.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1] as string);
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to dashes; repeats get -1, -2. */
function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of prose(text).split('\n')) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = (heading[1] as string)
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

function read(file: string): string {
  return fs.readFileSync(path.join(ROOT, file), 'utf8');
}

const isExternal = (target: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(target);

describe('README.md and docs/', () => {
  it('when README.md is read, then it is at most 260 lines', () => {
    const lines = read('README.md').split('\n').length;

    expect(lines).toBeLessThanOrEqual(README_MAX_LINES);
  });

  it('when a docs file is listed, then the README and docs/ are found (the test reads something)', () => {
    expect(DOCS).toEqual(expect.arrayContaining(['README.md', 'docs/architecture.md', 'docs/thrift.md']));
    expect(DOCS.flatMap((f) => linkTargets(read(f))).length).toBeGreaterThan(10);
  });

  it.each(DOCS)('when %s links to a file, then the file is in the repository and its #anchor exists', (file) => {
    const broken: string[] = [];
    for (const target of linkTargets(read(file))) {
      if (isExternal(target)) continue;
      const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
      const resolved =
        pathPart === '' ? path.join(ROOT, file) : path.resolve(path.dirname(path.join(ROOT, file)), pathPart);
      if (!resolved.startsWith(ROOT + path.sep) || !fs.existsSync(resolved)) {
        broken.push(`${target}: no such file in the repository`);
        continue;
      }
      if (anchor === undefined) continue;
      if (!resolved.endsWith('.md')) {
        broken.push(`${target}: an anchor into a file that is not Markdown`);
      } else if (!anchorsOf(fs.readFileSync(resolved, 'utf8')).has(decodeURIComponent(anchor))) {
        broken.push(`${target}: no heading with that anchor in ${path.relative(ROOT, resolved)}`);
      }
    }

    expect(broken).toEqual([]);
  });

  it.each(DOCS)('when %s names a repository path in code, then that path exists', (file) => {
    const repoPath =
      /^(?:src|scheduler|scripts|thirdparty|deploy|test|thrift|patches|docs|\.ci)\/[\w.@+-]+(?:\/[\w.@+-]+)*\/?$/;
    const missing = codeSpans(read(file))
      .filter((span) => repoPath.test(span))
      .filter((span) => !fs.existsSync(path.join(ROOT, span)));

    expect(missing).toEqual([]);
  });

  it.each(DOCS)('when %s is read, then it cites no file outside the repository', (file) => {
    expect(read(file)).not.toMatch(/ARCHITECTURE\.md|STYLE\.md|\/work\/shared/);
  });
});

describe("the README's command table", () => {
  const readme = read('README.md');
  const targets = [...read('Makefile').matchAll(/^([a-z][a-z0-9-]*):.*## /gm)].map((m) => m[1] as string);
  const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts).filter(
    (name) => !['postinstall', 'preinstall', 'prepare'].includes(name),
  );

  it('when the Makefile and package.json are read, then they have commands to look for', () => {
    expect(targets).toEqual(expect.arrayContaining(['develop', 'server', 'test']));
    expect(scripts).toEqual(expect.arrayContaining(['start', 'migrate', 'deploy']));
  });

  it('when a make target has a help line, then the README lists it', () => {
    expect(targets.filter((t) => !readme.includes(`\`make ${t}`))).toEqual([]);
  });

  it('when package.json has a script, then the README lists it', () => {
    const listed = (name: string): boolean =>
      readme.includes(`npm run ${name}`) || (['start', 'test'].includes(name) && readme.includes(`npm ${name}`));

    expect(scripts.filter((name) => !listed(name))).toEqual([]);
  });
});

describe('the anchor rule', () => {
  it("when headings hold code, colons and repeats, then their anchors are GitHub's", () => {
    const text =
      '# A\n## Running one timed job: `npm run job -- NAME`\n## Errors\n## Errors\n```\n## not a heading\n```\n';

    expect([...anchorsOf(text)]).toEqual(['a', 'running-one-timed-job-npm-run-job----name', 'errors', 'errors-1']);
  });
});
