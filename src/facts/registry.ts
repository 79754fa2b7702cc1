// The `registry` fact: the registry's word on each package's version, from the sparse index
// (or the npm packument) alone, one request per package, in parallel, each with its own
// deadline (src/registry/). `policy verify` asks the web API as well. Never read
// offline: a hook or `--offline` run reports the fact unavailable instead of guessing.
import { askRegistry } from '../registry/ask.js';
import type { PackageConfig } from '../policy/model.js';
import type { RegistryPackageFact } from './model.js';

export interface RegistryRequest {
  cwd: string;
  packages: PackageConfig[];
  /** Package name → the version to ask about (the release's, else the manifest's); packages without one are skipped. */
  versions: Map<string, string>;
  /**
   * Package name → the crate and registry its recorded publish of that version went to
   * (src/facts/publish-target.ts); packages without one are asked as the policy says.
   */
  targets?: Map<string, { crate: string; registry: string; index?: string }>;
  env: NodeJS.ProcessEnv;
  cacheDir: string | null;
  toolVersion: string;
}

export async function collectRegistry(request: RegistryRequest): Promise<RegistryPackageFact[]> {
  const asked = request.packages.filter((pkg) => (request.versions.get(pkg.name) ?? '') !== '');
  const session = {};
  const answers = await Promise.all(asked.map((pkg) => {
    const target = request.targets?.get(pkg.name);
    return askRegistry({
      ecosystem: pkg.ecosystem,
      name: target?.crate ?? pkg.name,
      version: request.versions.get(pkg.name) ?? '',
      registry: target?.registry ?? pkg.registry,
      ...(target?.index === undefined ? {} : { index: target.index }),
      cwd: request.cwd,
      env: request.env,
      cacheDir: request.cacheDir,
      toolVersion: request.toolVersion,
      // One index request per package, all in parallel (README, Performance): the
      // web API's one request per second would serialise a workspace's packages.
      useApi: false,
    }, session);
  }));
  return answers.map((answer, i) => ({
    // The policy's package, which the rules match on, even when its crate is named otherwise.
    package: asked[i]!.name,
    ecosystem: answer.ecosystem,
    registry: answer.registry,
    url: answer.url,
    reachable: answer.reachable,
    version: answer.version,
    published: answer.published,
    checksum: answer.checksum,
    yanked: answer.yanked,
    versions: answer.versions.map((v) => ({ ...v })),
    // Facts hold no null: "no answer came" is -1.
    evidence: answer.evidence.map((e) => ({ ...e, status: e.status ?? -1 })),
    reason: answer.reason,
  }));
}
