// Where a manifest writes a key, found by scanning the text: smol-toml and JSON.parse give no
// positions, and an error or a finding should point at the line a reviewer would change. Pure.

export interface VersionKey {
  /** 1-based line and column of the key (`version`, `"version"`, or the `[package.version]` header). */
  line: number;
  column: number;
  /** The value is `{ workspace = true }` (or `version.workspace = true`): the version lives in the workspace root. */
  workspace: boolean;
}

interface HeaderMatch {
  name: string;
  column: number;
}

/** A `[table]` header (not `[[array]]`), with its dotted name normalized (`package . "x"` → `package.x`). */
function tableHeader(line: string): HeaderMatch | null {
  const match = /^(\s*)\[(?!\[)\s*([^\]]*?)\s*\]\s*(#.*)?$/.exec(line);
  if (!match) return null;
  const name = (match[2] ?? '').split('.').map((part) => part.trim().replace(/^(["'])(.*)\1$/, '$2')).join('.');
  return { name, column: (match[1] ?? '').length + 1 };
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Where `key` of `[table]` is written in a TOML text (`table` "" for the top level): the key
 * (bare or quoted, or dotted from the top level), or a `[table.key]` header; null when the
 * table writes none. Text inside multi-line strings is skipped, so a `[package]` quoted in a
 * description is not taken for the header. `workspace`: the value is `{ workspace = true }`
 * (or `key.workspace = true`), as Cargo writes an inherited field.
 */
export function tomlKey(text: string, table: string, key: string): VersionKey | null {
  const lines = text.split(/\r\n|\n|\r/);
  const name = escapeRegExp(key);
  const keyPattern = `(?:${name}|"${name}"|'${name}')`;
  const inTable = new RegExp(`^(\\s*)${keyPattern}\\s*([.=])(.*)$`);
  const parts = table.split('.').map(escapeRegExp).join('\\s*\\.\\s*');
  const dotted = table === '' ? null : new RegExp(`^(\\s*)${parts}\\s*\\.\\s*${keyPattern}\\s*([.=])(.*)$`);
  const full = table === '' ? key : `${table}.${key}`;
  let current = '';
  let multiline: '"""' | "'''" | null = null;
  let headerAt: { line: number; column: number } | null = null;
  for (const [index, line] of lines.entries()) {
    const opened = multiline;
    multiline = toggleMultiline(line, multiline);
    if (opened !== null) continue;
    const header = tableHeader(line);
    if (header) {
      current = header.name;
      // `[package.version]` with `workspace = true` below it.
      if (current === full) headerAt ??= { line: index + 1, column: header.column };
      continue;
    }
    if (headerAt !== null && current === full && /^\s*workspace\s*=\s*true\b/.test(line)) return { ...headerAt, workspace: true };
    const match = current === table ? inTable.exec(line) : current === '' && dotted !== null ? dotted.exec(line) : null;
    if (!match) continue;
    const [, indent = '', operator, rest = ''] = match;
    const workspace = operator === '.' ? /^\s*workspace\s*=\s*true\b/.test(rest) : /^\s*\{[^}]*\bworkspace\s*=\s*true\b/.test(rest);
    return { line: index + 1, column: indent.length + 1, workspace };
  }
  return headerAt === null ? null : { ...headerAt, workspace: false };
}

/** The `version` key of `[table]` (`package` or `workspace.package`), or null when the table writes none. */
export function tomlVersionKey(text: string, table: string): VersionKey | null {
  return tomlKey(text, table, 'version');
}

/** Where the `[table]` header is written (outside multi-line strings), or null. */
export function tomlTableAt(text: string, table: string): { line: number; column: number } | null {
  let multiline: '"""' | "'''" | null = null;
  for (const [index, line] of text.split(/\r\n|\n|\r/).entries()) {
    const opened = multiline;
    multiline = toggleMultiline(line, multiline);
    if (opened !== null) continue;
    const header = tableHeader(line);
    if (header?.name === table) return { line: index + 1, column: header.column };
  }
  return null;
}

/** Whether the TOML text has a `[workspace]` table (a Cargo workspace root). */
export function hasWorkspaceTable(text: string): boolean {
  let multiline: '"""' | "'''" | null = null;
  for (const line of text.split(/\r\n|\n|\r/)) {
    const opened = multiline;
    multiline = toggleMultiline(line, multiline);
    if (opened !== null) continue;
    const header = tableHeader(line);
    if (header && (header.name === 'workspace' || header.name.startsWith('workspace.'))) return true;
    if (!header && /^\s*workspace\s*\./.test(line)) return true;
  }
  return false;
}

/** The multi-line string state after `line`: each unescaped `"""` or `'''` opens or closes one. */
function toggleMultiline(line: string, state: '"""' | "'''" | null): '"""' | "'''" | null {
  let open = state;
  for (let at = 0; at < line.length; ) {
    if (open === null) {
      if (line[at] === '#') break;
      const quote = line.startsWith('"""', at) ? '"""' : line.startsWith("'''", at) ? "'''" : null;
      if (quote !== null) {
        open = quote;
        at += 3;
        continue;
      }
      // A one-line string: skip to its end so a `#` or quotes inside it do not count.
      if (line[at] === "'") {
        const end = line.indexOf("'", at + 1);
        at = end === -1 ? line.length : end + 1;
        continue;
      }
      if (line[at] === '"') {
        let end = at + 1;
        while (end < line.length && line[end] !== '"') end += line[end] === '\\' ? 2 : 1;
        at = end + 1;
        continue;
      }
      at += 1;
    } else {
      if (open === '"""' && line[at] === '\\') {
        at += 2;
        continue;
      }
      if (line.startsWith(open, at)) {
        open = null;
        at += 3;
        continue;
      }
      at += 1;
    }
  }
  return open;
}

/** The top-level `"version"` key of a package.json text, or null when it has none. */
export function jsonVersionKey(text: string): VersionKey | null {
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  for (let at = 0; at < text.length; at += 1) {
    const char = text[at];
    if (char === '\n') {
      line += 1;
      lineStart = at + 1;
    } else if (char === '{' || char === '[') depth += 1;
    else if (char === '}' || char === ']') depth -= 1;
    else if (char === '"') {
      let end = at + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const isKey = depth === 1 && /^\s*:/.test(text.slice(end + 1, end + 64));
      if (isKey && text.slice(at + 1, end) === 'version') return { line, column: at - lineStart + 1, workspace: false };
      at = end;
    }
  }
  return null;
}
