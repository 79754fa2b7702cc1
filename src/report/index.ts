import type { Verdict } from '../engine/model.js';
import { renderGithub } from './github.js';
import { renderJson } from './json.js';
import { renderMarkdown } from './markdown.js';
import type { RenderOptions, Renderer } from './render-options.js';
import { renderSarif } from './sarif.js';
import { renderText } from './text.js';

export type { RenderOptions, Renderer } from './render-options.js';
export { formatSummary, summarizeVerdict, type SummaryLine } from './summary.js';

export const FORMATS = ['text', 'json', 'sarif', 'github', 'markdown'] as const;
export type Format = (typeof FORMATS)[number];

// A plain map from name to function (as Spectral's formatters): adding a format is one
// module and one line, and `satisfies` makes the compiler insist every name has a renderer.
const RENDERERS = {
  text: renderText,
  json: renderJson,
  sarif: renderSarif,
  github: renderGithub,
  markdown: renderMarkdown,
} as const satisfies Record<Format, Renderer>;

export function isFormat(name: string): name is Format {
  return (FORMATS as readonly string[]).includes(name);
}

export function renderVerdict(format: Format, verdict: Verdict, options: RenderOptions): string {
  return RENDERERS[format](verdict, options);
}
