/**
 * The one word the hook shims read from `<journal folder>/state` (hooks/release-policy.sh
 * decides on it without starting node). Pure: `src/facts/release.ts` writes and reads the file.
 */
import type { JournalEvent, ReleaseState } from './model.js';
import { foldRelease, unfinishedSteps } from './state.js';

/** Status words from the least to the most restrictive, as the hook shims read them. */
const RESTRICTIVE: readonly ReleaseState['status'][] = ['idle', 'closed', 'abandoned', 'in-progress', 'released', 'unknown', 'blocked'];

/**
 * The one word the hook shims read (hooks/release-policy.sh): the most restrictive status of
 * any package's release in the journal, so a blocked release of one package keeps every
 * hook on the engine's path.
 */
export function hookStateWord(events: readonly JournalEvent[]): ReleaseState['status'] {
  const packages = new Set(events.map((event) => event.package));
  // The word outlives the step that wrote it: a `policy run` killed mid-step never rewrites
  // it. So it is written as if every unfinished step had been interrupted, and while one runs
  // the hooks ask the engine, which looks at the process.
  const processes = new Map(unfinishedSteps(events).map((e) => [e.id, 'gone' as const]));
  let word: ReleaseState['status'] = 'idle';
  for (const pkg of packages) {
    const { status } = foldRelease(events, { package: pkg, processes });
    if (RESTRICTIVE.indexOf(status) > RESTRICTIVE.indexOf(word)) word = status;
  }
  return word;
}

/** Whether a state file's content is one of the words (anything else: ask the engine). */
export function isHookStateWord(word: string): word is ReleaseState['status'] {
  return (RESTRICTIVE as readonly string[]).includes(word);
}
