import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

// The arrows of docs/architecture.md: which room of src/ may import which. A room is a folder of
// src/ or a file at its top. An import not listed here fails, so a new arrow is a decision made in
// this table and in the document, not an accident.

const root = resolve(import.meta.dirname, '..');
const src = join(root, 'src');

const SHARED = ['config', 'i18n', 'logger', 'sla', 'slackIds', 'nodeVersion'];
const ALLOWED: Record<string, string[]> = {
  db: ['logger'],
  tickets: ['db', 'logger', 'sla', 'slackIds'],
  notifications: ['db', 'tickets', 'scheduler', 'reports', ...SHARED],
  slack: ['db', 'tickets', 'notifications', ...SHARED],
  // 'tickets': one narrow door (issue 15), the ticket page's priority form, which must change the
  // ticket through the rules (permission, version, service-level due times, event, hooks), not
  // write it itself. NARROW_DOORS below keeps it to that one file and that one function.
  web: ['db', 'reports', 'tickets', ...SHARED],
  reports: ['db'],
  scheduler: ['logger'],
  i18n: [],
  config: ['i18n', 'sla', 'slackIds'],
  sla: [],
  logger: [],
  slackIds: [],
  nodeVersion: [],
  startupSummary: ['config', 'logger', 'notifications', 'sla', 'slack'],
  server: [
    'config',
    'db',
    'i18n',
    'logger',
    'notifications',
    'scheduler',
    'slack',
    'startupSummary',
    'tickets',
    'web',
  ],
  cli: ['config', 'db', 'logger', 'nodeVersion', 'notifications', 'server', 'tickets'],
  main: ['cli', 'nodeVersion'],
};

/**
 * Arrows ALLOWED draws room to room but that only one file of the room may take, naming only
 * these things: `from → to` (paths under src/) and the imported names.
 */
const NARROW_DOORS: Array<{ room: string; target: string; from: string; to: string; names: string[] }> = [
  {
    room: 'web',
    target: 'tickets',
    from: 'web/status/ticketPriority.ts',
    to: 'tickets/changePriority.ts',
    names: ['changePriority'],
  },
];

function sourcesIn(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourcesIn(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function roomOf(file: string): string {
  const [first, ...rest] = relative(src, file).split(sep);
  return rest.length > 0 ? first! : first!.replace(/\.(ts|js)$/, '');
}

/** The rooms of src/ a file imports, statically or with import(). */
function roomsImportedBy(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [
    ...text.matchAll(/\b(?:import|export)\b[^'"`;]*?\bfrom\s*['"](\.[^'"]+)['"]/g),
    ...text.matchAll(/\bimport\s*\(\s*['"](\.[^'"]+)['"]\s*\)/g),
  ].map((match) => resolve(dirname(file), match[1]!));
  return specifiers.filter((target) => target.startsWith(src + sep)).map(roomOf);
}

describe('the rooms of src/ (docs/architecture.md)', () => {
  const files = sourcesIn(src);

  it('knows every room there is', () => {
    expect([...new Set(files.map(roomOf))].sort()).toEqual(Object.keys(ALLOWED).sort());
  });

  it('imports only along the arrows the document draws', () => {
    const found = files.flatMap((file) => {
      const room = roomOf(file);
      return roomsImportedBy(file)
        .filter((target) => target !== room && !ALLOWED[room]?.includes(target))
        .map((target) => `${relative(root, file)} (${room}) imports ${target}`);
    });
    expect(found).toEqual([]);
  });

  it('takes the narrow doors only where they are, and only for what they name', () => {
    const found = files.flatMap((file) => {
      const room = roomOf(file);
      const text = readFileSync(file, 'utf8');
      return NARROW_DOORS.filter((door) => door.room === room).flatMap((door) =>
        [...text.matchAll(/\b(?:import|export)\b([^'"`;]*?)\bfrom\s*['"](\.[^'"]+)['"]/g)]
          .filter((match) => roomOf(resolve(dirname(file), match[2]!)) === door.target)
          .filter((match) => {
            const target = relative(src, resolve(dirname(file), match[2]!)).replace(/\.js$/, '.ts');
            const names = (/\{([^}]*)\}/.exec(match[1]!)?.[1] ?? '*')
              .split(',')
              .map((name) => name.trim())
              .filter(Boolean);
            return (
              relative(src, file) !== door.from ||
              target !== door.to ||
              !/^\s*\{[^}]*\}\s*$/.test(match[1]!) ||
              names.some((name) => !door.names.includes(name))
            );
          })
          .map((match) => `${relative(root, file)} (${room}) imports ${match[0]}`)
          .concat(
            [...text.matchAll(/\bimport\s*\(\s*['"](\.[^'"]+)['"]\s*\)/g)]
              .filter((match) => roomOf(resolve(dirname(file), match[1]!)) === door.target)
              .map((match) => `${relative(root, file)} (${room}) imports ${match[0]}`),
          ),
      );
    });
    expect(found).toEqual([]);
  });

  it('would see an arrow the wrong way (the check is not vacuous)', () => {
    const tickets = files.filter((file) => roomOf(file) === 'tickets');
    expect(tickets.flatMap(roomsImportedBy)).toContain('db');
    expect(ALLOWED.tickets).not.toContain('slack');
  });
});
